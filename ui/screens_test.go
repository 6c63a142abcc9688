package ui

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/camera"
)

// sampleStates is one state per screen (and the overlays), as the runner
// would publish them mid-session.
func sampleStates(lang string, now time.Time) map[string]session.State {
	p := ticket.NewPayload(ticket.DemoOrder(), "ALM-001", "S-1", now, time.Hour)
	sub := p.Order.Subscriber
	base := session.State{
		Gen: 1, Lang: lang, Ticket: p, ProviderSession: "ps-1",
		Doc:              &provider.IDDocument{IIN: sub.IIN, Surname: sub.Surname, Given: sub.Given, Patronymic: sub.Patronymic, BirthDate: "1990-01-01", DocNumber: "012345678"},
		CodeAttemptsLeft: 3, ResendsLeft: 2, CodeSent: 1, ResendAt: now.Add(30 * time.Second), BioAttemptsLeft: 5,
		Started: now, LastActivity: now,
	}
	with := func(step session.Step, f func(*session.State)) session.State {
		s := base
		s.Step = step
		if f != nil {
			f(&s)
		}
		return s
	}
	return map[string]session.State{
		"idle":          {Gen: 1, Step: session.StepIdle, Lang: lang, Err: "ticket_expired"},
		"welcome":       with(session.StepWelcome, nil),
		"code":          with(session.StepCode, func(s *session.State) { s.Err = provider.CodeWrongCode; s.CodeAttemptsLeft = 2 }),
		"code busy":     with(session.StepCode, func(s *session.State) { s.Busy = session.OpCode }),
		"code sent":     with(session.StepCode, func(s *session.State) { s.CodeSent, s.ResendsLeft = 2, 1 }),
		"review":        with(session.StepReview, nil),
		"privacy":       with(session.StepPrivacy, nil),
		"privacy retry": with(session.StepPrivacy, func(s *session.State) { s.Retry = session.OpPrivacy; s.Err = provider.CodeUnavailable }),
		"biometrics":    with(session.StepBiometrics, func(s *session.State) { s.Busy = session.OpBiometrics }),
		"bio no match":  with(session.StepBiometrics, func(s *session.State) { s.Err = "no_match"; s.BioAttemptsLeft = 4 }),
		"eds rules":     with(session.StepEDSRules, nil),
		"password":      with(session.StepPassword, func(s *session.State) { s.Err = session.ErrPasswordConfirm }),
		"signing":       with(session.StepSigning, func(s *session.State) { s.Busy = session.OpCertificate }),
		"still there":   with(session.StepReview, func(s *session.State) { s.IdleAsked, s.IdleEnds = true, now.Add(15*time.Second) }),
		"done": with(session.StepDone, func(s *session.State) {
			s.Receipt = &session.Receipt{PackageID: "pkg-42", DownloadURL: "https://example.test/p/pkg-42"}
		}),
		"ended":     {Gen: 1, Step: session.StepEnded, Lang: lang, Reason: session.ReasonProviderRefused, Err: provider.CodeWrongState, EndedAt: now},
		"ended bio": {Gen: 1, Step: session.StepEnded, Lang: lang, Reason: session.ReasonBiometricFailed, Err: "no_match", EndedAt: now},
	}
}

// messageID matches a message id shown raw: a translation gap.
var messageID = regexp.MustCompile(`^[a-z_]+\.[a-z_.]+$`)

// TestScreensRender builds every screen in each language from a fresh UI
// and checks the text on it: no raw ids, Kazakh letters in Kazakh, and the
// key message of each state.
func TestScreensRender(t *testing.T) {
	for _, lang := range []string{"kk", "ru", "en"} {
		for name, s := range sampleStates(lang, time.Now()) {
			t.Run(lang+"/"+name, func(t *testing.T) {
				k := newFakeKiosk()
				h := newHarness(t, Options{Kiosk: k, Camera: shared(t, camera.NewSynthetic(64, 48, 30)), Demo: &Demo{}})
				k.set(s)
				h.q.drain()
				l := h.u.cat.in(lang)
				texts := h.texts()
				if len(texts) == 0 {
					t.Fatal("no text on screen")
				}
				for _, tx := range texts {
					if messageID.MatchString(tx) {
						t.Errorf("raw message id on screen: %q", tx)
					}
				}
				all := h.screenText()
				if lang == "kk" && !strings.ContainsAny(all, "әғқңөұүһіӘҒҚҢӨҰҮҺІ") {
					t.Errorf("Kazakh screen without Kazakh letters: %q", texts)
				}
				showsErr := s.Step != session.StepEnded || s.Reason == session.ReasonProviderRefused
				if s.Err != "" && showsErr && !strings.Contains(all, flat(l.Err(s.Err))) {
					t.Errorf("error %q not shown as %q", s.Err, l.Err(s.Err))
				}
				if n := s.Step.Number(); n > 0 && !strings.Contains(all, flat(l.T("header.step", "N", n, "Total", session.StepsTotal))) {
					t.Errorf("no step %d of %d in header", n, session.StepsTotal)
				}
				switch {
				case s.IdleAsked:
					if !h.u.still.shown() || !strings.Contains(all, flat(l.T("still.title"))) {
						t.Error("no \"still there?\" modal")
					}
				case s.Retry != session.OpNone:
					if !h.u.retry.shown() || !h.hasButton(l.T("retry.retry")) {
						t.Error("no retry modal")
					}
				case s.Busy == session.OpCode:
					if !h.u.busy.shown() || !strings.Contains(all, flat(l.Busy(s.Busy))) {
						t.Error("no waiting modal")
					}
				case s.Step == session.StepBiometrics && s.Busy == session.OpBiometrics:
					// before the capture's first view: the provider's challenge is on its way
					if !strings.Contains(all, flat(l.T("bio.preparing"))) {
						t.Error("attempt without \"preparing your task\"")
					}
				case s.Step == session.StepEnded:
					if !strings.Contains(all, flat(l.Reason(s.Reason))) {
						t.Error("reason not shown")
					}
				}
			})
		}
	}
}

// TestLanguageSwitchKeepsTyping switches the language mid-code: the screen
// speaks the new language and the digits typed so far stay.
func TestLanguageSwitchKeepsTyping(t *testing.T) {
	k := newFakeKiosk()
	h := newHarness(t, Options{Kiosk: k})
	k.set(sampleStates("kk", k.now)["code"])
	h.q.drain()
	for _, d := range "123" {
		h.tap(string(d))
	}
	h.tap(h.u.cat.in("kk").T("lang.ru"))
	if h.u.state.Lang != "ru" {
		t.Fatalf("lang = %q after tapping Русский", h.u.state.Lang)
	}
	ru := h.u.cat.in("ru")
	if !h.shows(ru.T("code.title")) {
		t.Error("code screen not in Russian")
	}
	if got := string(h.u.input.code); got != "123" {
		t.Errorf("typed digits after switch = %q, want 123", got)
	}
	h.tap("4")
	if got := string(h.u.input.code); got != "1234" {
		t.Errorf("keypad after switch typed %q", got)
	}
}

// TestCodeScreenResendCountdown: resend waits for ResendAt, then enables.
func TestCodeScreenResendCountdown(t *testing.T) {
	k := newFakeKiosk()
	clock := k.now
	h := newHarness(t, Options{Kiosk: k, Now: func() time.Time { return clock }})
	s := sampleStates("en", k.now)["code"]
	s.ResendAt = k.now.Add(42 * time.Second)
	k.set(s)
	h.q.drain()
	en := h.u.cat.in("en")
	if !h.shows(en.T("code.resend_in", "S", 42)) {
		t.Errorf("no countdown on screen: %q", h.texts())
	}
	if h.hasButton(en.T("code.resend")) {
		t.Error("resend enabled before the cooldown")
	}
	clock = clock.Add(43 * time.Second)
	h.u.screen.(*codeScreen).tick()
	h.tap(en.T("code.resend"))
	if !k.sent(func(e session.Event) bool { _, ok := e.(session.ResendCode); return ok }) {
		t.Error("resend did not dispatch ResendCode")
	}
}

// TestCancelNeedsConfirmation: Cancel asks first; "no" keeps the session,
// "yes" ends it, and the ended screen's OK returns to idle.
func TestCancelNeedsConfirmation(t *testing.T) {
	k := newFakeKiosk()
	h := newHarness(t, Options{Kiosk: k})
	k.startSession()
	h.q.drain()
	l := h.u.cat.in("kk")
	if h.u.state.Step != session.StepWelcome {
		t.Fatalf("step = %s", h.u.state.Step)
	}

	h.tap(l.T("cancel.button"))
	if !h.u.confirm.shown() {
		t.Fatal("cancel did not ask for confirmation")
	}
	h.tap(l.T("cancel.no"))
	if h.u.confirm.shown() || h.u.state.Step != session.StepWelcome {
		t.Fatalf("\"no\" should keep the session: confirm=%v step=%s", h.u.confirm.shown(), h.u.state.Step)
	}

	h.tap(l.T("cancel.button"))
	h.tap(l.T("cancel.yes"))
	s := h.u.state
	if s.Step != session.StepEnded || s.Reason != session.ReasonCancelled {
		t.Fatalf("after confirming: step=%s reason=%s", s.Step, s.Reason)
	}
	if h.u.confirm.shown() {
		t.Error("confirmation still up on the ended screen")
	}
	if !h.shows(l.Reason(session.ReasonCancelled)) {
		t.Error("ended screen does not say why")
	}
	h.tap(l.T("ended.ok"))
	if h.u.state.Step != session.StepIdle {
		t.Errorf("OK on ended: step = %s", h.u.state.Step)
	}
}

// TestIdlePrompt: after the idle limit the modal asks "are you still
// there?"; Yes keeps the session, silence ends it.
func TestIdlePrompt(t *testing.T) {
	k := newFakeKiosk()
	h := newHarness(t, Options{Kiosk: k, Now: k.clock})
	k.startSession()
	h.q.drain()
	l := h.u.cat.in("kk")
	lim := session.DefaultLimits()

	k.advance(lim.Idle + time.Second)
	k.Dispatch(session.Tick{})
	h.q.drain()
	if !h.u.state.IdleAsked || !h.u.still.shown() {
		t.Fatal("no idle prompt after the idle limit")
	}
	if !h.shows(l.T("still.title")) {
		t.Error("idle prompt text missing")
	}
	// 91 s after the last touch, 105 s until the end: 14 s left.
	if want := l.T("still.countdown", "N", 14); !h.shows(want) {
		t.Errorf("no countdown %q: %q", want, h.texts())
	}
	h.tap(l.T("still.yes"))
	if h.u.state.IdleAsked || h.u.still.shown() {
		t.Fatal("\"yes\" did not dismiss the prompt")
	}

	k.advance(lim.Idle + lim.IdleWarning + time.Second)
	k.Dispatch(session.Tick{})
	h.q.drain()
	if s := h.u.state; s.Step != session.StepEnded || s.Reason != session.ReasonIdle {
		t.Fatalf("silence: step=%s reason=%s", s.Step, s.Reason)
	}
	if h.u.still.shown() {
		t.Error("prompt still up after the session ended")
	}
}

// countingSource counts reads, to see when the camera is in use.
type countingSource struct {
	camera.Source
	reads atomic.Int64
}

func (c *countingSource) Read(ctx context.Context) (image.Image, error) {
	c.reads.Add(1)
	return c.Source.Read(ctx)
}

// TestIdleScansOnlyWhileIdle: the idle screen reads tickets from the camera
// and hands them to Kiosk.Scan; once a session starts it stops reading.
func TestIdleScansOnlyWhileIdle(t *testing.T) {
	dir := t.TempDir()
	const text = "AKT1:NOT-A-REAL-TICKET"
	if err := qrcode.WriteFile(text, qrcode.Medium, 480, filepath.Join(dir, "ticket.png")); err != nil {
		t.Fatal(err)
	}
	folder, err := camera.NewFolder(dir, 30)
	if err != nil {
		t.Fatal(err)
	}
	src := &countingSource{Source: folder}
	k := newFakeKiosk()
	h := newHarness(t, Options{Kiosk: k, Camera: shared(t, src)})

	deadline := time.Now().Add(10 * time.Second)
	for {
		h.q.drain()
		k.mu.Lock()
		n := len(k.scans)
		k.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("idle screen never scanned the ticket")
		}
		time.Sleep(10 * time.Millisecond)
	}
	k.mu.Lock()
	first := k.scans[0]
	k.mu.Unlock()
	if first != text {
		t.Errorf("scanned %q", first)
	}

	k.startSession()
	h.q.drain()
	time.Sleep(100 * time.Millisecond) // a read in flight may finish
	before := src.reads.Load()
	time.Sleep(300 * time.Millisecond)
	if after := src.reads.Load(); after != before {
		t.Errorf("camera still read while not idle: %d → %d", before, after)
	}
}

// TestOpenTicketDecodes: the staff's picture path decodes a QR file.
func TestOpenTicketDecodes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.png")
	if err := qrcode.WriteFile("AKT1:HELLO", qrcode.Medium, 320, path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decodeQR(f); err != nil || got != "AKT1:HELLO" {
		t.Fatalf("decodeQR = %q, %v", got, err)
	}
}
