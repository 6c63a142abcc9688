package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/kiosk/kiosktest"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/camera"
)

// The failure paths, tapped through the UI against the real runner and the
// provider simulator over HTTP (kiosktest), checking what the subscriber
// reads (from the catalogue) and where the session ends up.

// failRig is a real kiosk core with a UI on it. The UI has no camera (no
// preview, no idle scanning): tickets come from the demo button and the
// biometric captures from the rig's own synthetic camera.
type failRig struct {
	*harness
	rig   *kiosktest.Rig
	order ticket.Order
}

// newFailRig starts a rig and a UI whose demo button makes a fresh signed
// ticket for order.
func newFailRig(t *testing.T, o kiosktest.Options, order ticket.Order) *failRig {
	t.Helper()
	rig := kiosktest.New(t, o)
	qrDir := t.TempDir()
	var n atomic.Int64
	demo := &Demo{NewTicketQR: func() (string, error) {
		text, err := ticket.Encode(ticket.NewPayload(order, kiosktest.Office, "S-1", time.Now(), time.Hour), rig.TicketKey)
		if err != nil {
			return "", err
		}
		path := filepath.Join(qrDir, fmt.Sprintf("ticket-%d.png", n.Add(1)))
		return path, qrcode.WriteFile(text, qrcode.Medium, 1024, path)
	}}
	h := newHarness(t, Options{Kiosk: rig.Runner, Demo: demo, Log: rig.Logger})
	return &failRig{harness: h, rig: rig, order: order}
}

// toWelcome taps the demo ticket and waits for the welcome screen.
func (f *failRig) toWelcome() {
	f.t.Helper()
	f.tap(f.u.cat.in("kk").T("idle.demo"))
	f.settle(session.StepWelcome)
	if !f.shows(f.order.Subscriber.Given) {
		f.t.Fatalf("welcome does not greet %q: %q", f.order.Subscriber.Given, f.texts())
	}
}

// toCode begins and waits for the code screen (the SMS is sent).
func (f *failRig) toCode() {
	f.t.Helper()
	f.tap(f.u.loc().T("welcome.begin"))
	f.settle(session.StepCode)
}

// typeCode taps code on the keypad and OK.
func (f *failRig) typeCode(code string) {
	f.t.Helper()
	for _, d := range code {
		f.tap(string(d))
	}
	f.tap(f.u.loc().T("code.ok"))
}

// toPrivacy enters the simulator's code and accepts the review.
func (f *failRig) toPrivacy() {
	f.t.Helper()
	code, ok := f.rig.Sim.LastCode(f.u.state.ProviderSession)
	if !ok {
		f.t.Fatal("simulator sent no code")
	}
	f.typeCode(code)
	f.settle(session.StepReview)
	f.tap(f.u.loc().T("review.continue"))
	f.settle(session.StepPrivacy)
}

// toBiometrics goes from the welcome screen to the camera screen.
func (f *failRig) toBiometrics() {
	f.t.Helper()
	f.toCode()
	f.toPrivacy()
	f.readToEnd()
	f.tap(f.u.loc().T("consent.agree"))
	f.settle(session.StepBiometrics)
}

// wiped checks that nothing of the subscriber is left on screen or in the
// state the UI shows.
func (f *failRig) wiped() {
	f.t.Helper()
	sub := f.order.Subscriber
	for _, pii := range []string{sub.Given, sub.Surname, sub.Patronymic, sub.IIN, sub.Phone} {
		if f.shows(pii) {
			f.t.Errorf("ended screen still shows %q", pii)
		}
	}
	if s := f.u.state; s.Ticket.Order.Subscriber.IIN != "" || s.Doc != nil || s.ProviderSession != "" {
		f.t.Error("the ended state still holds the session's data")
	}
}

// TestFailWrongCodeThreeTimes: the simulator's always-wrong code, three
// times. Each wrong code says so with the attempts left; after the third the
// machine does not end the session (two resends are left): the code screen
// stays, OK is off, and the new code is offered as the main action (after
// its cooldown).
func TestFailWrongCodeThreeTimes(t *testing.T) {
	for _, lang := range []string{"kk", "ru"} {
		t.Run(lang, func(t *testing.T) {
			f := newFailRig(t, kiosktest.Options{}, ticket.DemoOrder())
			f.toWelcome()
			if lang != "kk" {
				f.tap(f.u.cat.in("kk").T("lang." + lang))
				f.waitFor("language "+lang, func(s session.State) bool { return s.Lang == lang })
				if !f.shows(f.u.cat.in(lang).T("welcome.begin")) {
					t.Fatalf("welcome not in %s: %q", lang, f.texts())
				}
			}
			f.toCode()
			l := f.u.cat.in(lang)
			lim := session.DefaultLimits()
			for i := 1; i <= lim.CodeAttempts; i++ {
				left := lim.CodeAttempts - i
				f.typeCode(sim.TriggerWrongCode)
				f.waitFor(fmt.Sprintf("wrong code %d judged", i), func(s session.State) bool {
					return s.Step != session.StepCode || s.Busy == session.OpNone && s.CodeAttemptsLeft == left
				})
				s := f.u.state
				if s.Step != session.StepCode || s.Err != provider.CodeWrongCode {
					t.Fatalf("wrong code %d: step=%s err=%q reason=%q", i, s.Step, s.Err, s.Reason)
				}
				// One message at a time: "wrong code" while attempts are
				// left, then only "no attempts left, ask for a new code".
				if shown := f.shows(l.Err(provider.CodeWrongCode)); shown != (left > 0) {
					t.Errorf("wrong code %d (%d left): message %q shown %v: %q", i, left, l.Err(provider.CodeWrongCode), shown, f.texts())
				}
				attempts := l.T("code.attempts", "N", left)
				if left == 0 {
					attempts = l.T("code.need_resend")
				}
				if !f.shows(attempts) {
					t.Errorf("wrong code %d: %q not shown: %q", i, attempts, f.texts())
				}
			}

			// After the third: still the code screen, a resend is the way on.
			s := f.u.state
			if s.Step != session.StepCode || s.ResendsLeft != lim.CodeResends || s.Reason != "" {
				t.Fatalf("after three wrong codes: step=%s resends=%d reason=%q", s.Step, s.ResendsLeft, s.Reason)
			}
			for _, d := range sim.TriggerWrongCode {
				if f.hasButton(string(d)) {
					t.Fatalf("key %q takes input with no attempts left", string(d))
				}
			}
			if f.hasButton(l.T("code.ok")) {
				t.Error("OK enabled with no attempts left")
			}
			cs, ok := f.u.screen.(*codeScreen)
			if !ok {
				t.Fatalf("screen is %T", f.u.screen)
			}
			if cs.resend.Importance != widget.HighImportance {
				t.Error("the new code is not the main action once the attempts are spent")
			}
			offered := false
			for sec := 0; sec <= int(lim.ResendCooldown/time.Second); sec++ {
				offered = offered || cs.resend.Text == l.T("code.resend_in", "S", sec)
			}
			if !offered && !f.hasButton(l.T("code.resend")) {
				t.Errorf("resend not offered: button %q", cs.resend.Text)
			}
			if !f.shows(l.T("code.resends_left", "N", lim.CodeResends)) {
				t.Errorf("resends left not shown: %q", f.texts())
			}
		})
	}
}

// TestFailBiometricsNoMatch: the no-match IIN fails all five attempts. The
// attempts left count down on screen with the no-match message; the fifth
// ends the session with its reason, the subscriber's data gone.
func TestFailBiometricsNoMatch(t *testing.T) {
	o := ticket.DemoOrder()
	o.Subscriber.IIN = sim.TriggerIINNoMatch
	f := newFailRig(t, kiosktest.Options{}, o)
	f.toWelcome()
	f.toBiometrics()
	l := f.u.cat.in("kk")
	n := session.DefaultLimits().BiometricAttempts
	if !f.shows(l.T("bio.attempts", "N", n)) {
		t.Errorf("attempts %d not shown: %q", n, f.texts())
	}
	for i := 1; i <= n; i++ {
		left := n - i
		f.tap(l.T("bio.start"))
		f.waitFor(fmt.Sprintf("attempt %d judged", i), func(s session.State) bool {
			return s.Step == session.StepEnded || s.Step == session.StepBiometrics && s.Busy == session.OpNone && s.BioAttemptsLeft == left
		})
		if left == 0 {
			break
		}
		s := f.u.state
		if s.Step != session.StepBiometrics || s.Err != sim.ReasonNoMatch {
			t.Fatalf("attempt %d: step=%s err=%q", i, s.Step, s.Err)
		}
		if !f.shows(l.T("bio.attempts", "N", left)) || !f.shows(l.Err(sim.ReasonNoMatch)) {
			t.Errorf("attempt %d: want %q and %q on screen: %q", i, l.T("bio.attempts", "N", left), l.Err(sim.ReasonNoMatch), f.texts())
		}
		if !f.hasButton(l.T("bio.start")) {
			t.Errorf("attempt %d: start not enabled again", i)
		}
	}
	s := f.u.state
	if s.Step != session.StepEnded || s.Reason != session.ReasonBiometricFailed {
		t.Fatalf("after %d attempts: step=%s reason=%q", n, s.Step, s.Reason)
	}
	// What to do next (the public service centre, or staff), and the code
	// staff read; not the generic "ask the staff to start again".
	for _, want := range []string{l.T("ended.title"), l.Reason(session.ReasonBiometricFailed), l.T("ended.wiped"),
		l.T("ended.next.biometric_failed"), l.T("ended.code", "Code", "biometric_failed")} {
		if !f.shows(want) {
			t.Errorf("ended screen does not show %q: %q", want, f.texts())
		}
	}
	if f.shows(l.T("ended.help")) {
		t.Error("ended screen gives the generic help instead of the next step")
	}
	if f.shows(l.Err(sim.ReasonNoMatch)) {
		t.Error("ended screen still says to try again")
	}
	f.wiped()
}

// TestFailSlowCodeTimeout: the slow IIN with a short rig timeout. The first
// slow call is the code; its timeout is not retried by an overlay (the
// machine leaves the code screen to the subscriber): the message shows on
// the code screen, which stays, ready for the code again.
func TestFailSlowCodeTimeout(t *testing.T) {
	o := ticket.DemoOrder()
	o.Subscriber.IIN = sim.TriggerIINSlow
	f := newFailRig(t, kiosktest.Options{Timeout: 300 * time.Millisecond, SlowDelay: 3 * time.Second}, o)
	f.toWelcome()
	f.toCode() // create is never slow
	l := f.u.cat.in("kk")
	code, ok := f.rig.Sim.LastCode(f.u.state.ProviderSession)
	if !ok {
		t.Fatal("simulator sent no code")
	}
	f.typeCode(code)
	f.waitFor("code timed out", func(s session.State) bool { return s.Err == provider.CodeTimeout && s.Busy == session.OpNone })
	s := f.u.state
	if s.Step != session.StepCode || s.Retry != session.OpNone || f.u.retry.shown() || f.u.busy.shown() {
		t.Fatalf("after the timeout: step=%s retry=%s overlay=%v busy=%v", s.Step, s.Retry, f.u.retry.shown(), f.u.busy.shown())
	}
	if !f.shows(l.Err(provider.CodeTimeout)) {
		t.Errorf("timeout message not shown: %q", f.texts())
	}
	if s.CodeAttemptsLeft != session.DefaultLimits().CodeAttempts {
		t.Errorf("a timeout cost a code attempt: %d left", s.CodeAttemptsLeft)
	}
}

// deadlineProvider gives consent calls a short deadline of their own (the
// rig's timeout is the client's, for every call), so the slow IIN passes
// the code but times out the privacy consent: the first call the machine
// offers to retry.
type deadlineProvider struct {
	kiosk.Provider
	short    time.Duration
	calls    atomic.Int64
	timeouts atomic.Int64
}

func (p *deadlineProvider) Consent(ctx context.Context, id string, req provider.ConsentRequest) error {
	p.calls.Add(1)
	ctx, cancel := context.WithTimeout(ctx, p.short)
	defer cancel()
	err := p.Provider.Consent(ctx, id, req)
	if err != nil {
		p.timeouts.Add(1)
	}
	return err
}

// TestFailProviderTimeoutRetry: the slow IIN's consent call times out: the
// retry overlay says so; Retry repeats the call (the simulator is asked
// again and times out again); Cancel on the overlay, confirmed, ends the
// session cleanly with no overlay left and no personal data on screen.
func TestFailProviderTimeoutRetry(t *testing.T) {
	o := ticket.DemoOrder()
	o.Subscriber.IIN = sim.TriggerIINSlow
	var dp *deadlineProvider
	f := newFailRig(t, kiosktest.Options{Timeout: 5 * time.Second, SlowDelay: 500 * time.Millisecond,
		WrapProvider: func(p kiosk.Provider) kiosk.Provider {
			dp = &deadlineProvider{Provider: p, short: 150 * time.Millisecond}
			return dp
		}}, o)
	f.toWelcome()
	f.toCode()
	f.toPrivacy() // the code waits SlowDelay, well inside the rig's timeout
	l := f.u.cat.in("kk")
	f.readToEnd()
	f.tap(l.T("consent.agree"))

	timedOut := func(n int64) func(session.State) bool {
		return func(s session.State) bool {
			rs := f.rig.Runner.State()
			return dp.timeouts.Load() == n && rs.Retry == session.OpPrivacy && rs.Busy == session.OpNone &&
				s.Retry == session.OpPrivacy && s.Busy == session.OpNone
		}
	}
	for n := int64(1); n <= 2; n++ {
		f.waitFor(fmt.Sprintf("consent timeout %d", n), timedOut(n))
		f.q.drain()
		s := f.u.state
		if s.Step != session.StepPrivacy || s.Err != provider.CodeTimeout {
			t.Fatalf("timeout %d: step=%s err=%q", n, s.Step, s.Err)
		}
		if !f.u.retry.shown() || f.u.busy.shown() {
			t.Fatalf("timeout %d: retry overlay %v, busy overlay %v", n, f.u.retry.shown(), f.u.busy.shown())
		}
		for _, want := range []string{l.T("retry.title"), l.Err(provider.CodeTimeout)} {
			if !f.shows(want) {
				t.Errorf("timeout %d: retry overlay does not show %q: %q", n, want, f.texts())
			}
		}
		if got := dp.calls.Load(); got != n {
			t.Fatalf("consent asked %d times, want %d", got, n)
		}
		if n == 1 {
			f.tap(l.T("retry.retry")) // repeats the call
		}
	}

	// Cancel from the overlay asks first, then ends the session cleanly.
	f.tap(l.T("cancel.button"))
	if !f.u.confirm.shown() {
		t.Fatal("cancel on the retry overlay did not ask for confirmation")
	}
	f.tap(l.T("cancel.yes"))
	f.waitFor("ended", func(s session.State) bool { return s.Step == session.StepEnded })
	s := f.u.state
	if s.Reason != session.ReasonCancelled {
		t.Fatalf("reason %q", s.Reason)
	}
	if f.u.retry.shown() || f.u.busy.shown() || f.u.confirm.shown() || f.u.still.shown() {
		t.Error("an overlay is left on the ended screen")
	}
	if !f.shows(l.Reason(session.ReasonCancelled)) {
		t.Errorf("ended screen does not say why: %q", f.texts())
	}
	f.wiped()
	if got := dp.calls.Load(); got != 2 {
		t.Errorf("consent asked %d times in all, want 2", got)
	}
	f.tap(l.T("ended.ok"))
	f.settle(session.StepIdle)
}

// TestFailIdleTimeout: nobody touches the welcome screen. After the (short)
// idle limit the "are you still there?" overlay asks; after the warning the
// session ends for idleness and the subscriber's name is gone.
func TestFailIdleTimeout(t *testing.T) {
	lim := session.DefaultLimits()
	lim.Idle, lim.IdleWarning = time.Second, 1500*time.Millisecond
	f := newFailRig(t, kiosktest.Options{Limits: lim}, ticket.DemoOrder())
	f.toWelcome()
	l := f.u.cat.in("kk")
	since := f.u.state.LastActivity

	f.waitFor("asked", func(s session.State) bool { return s.IdleAsked || s.Step == session.StepEnded })
	if s := f.u.state; s.Step != session.StepWelcome {
		t.Fatalf("ended without asking: step=%s reason=%q", s.Step, s.Reason)
	}
	if !f.u.still.shown() {
		t.Fatal("no \"still there?\" overlay")
	}
	for _, want := range []string{l.T("still.title"), l.T("still.body")} {
		if !f.shows(want) {
			t.Errorf("overlay does not show %q: %q", want, f.texts())
		}
	}
	if !f.hasButton(l.T("still.yes")) {
		t.Error("no \"yes, I am here\" button")
	}
	if !f.shows(f.order.Subscriber.Given) {
		t.Error("the screen under the overlay lost the session before it ended")
	}

	f.waitFor("ended", func(s session.State) bool { return s.Step == session.StepEnded })
	s := f.u.state
	if idle := s.EndedAt.Sub(since); idle < lim.Idle+lim.IdleWarning {
		t.Errorf("ended after %v idle, before the prompt's %v ran out", idle, lim.Idle+lim.IdleWarning)
	}
	if s.Reason != session.ReasonIdle {
		t.Fatalf("reason %q", s.Reason)
	}
	if f.u.still.shown() {
		t.Error("overlay still up after the session ended")
	}
	for _, want := range []string{l.T("ended.title"), l.Reason(session.ReasonIdle), l.T("ended.wiped")} {
		if !f.shows(want) {
			t.Errorf("ended screen does not show %q: %q", want, f.texts())
		}
	}
	f.wiped()
}

// goneErr is a capture error as the camera package makes them.
type goneErr string

func (e goneErr) Error() string       { return "capture: " + string(e) }
func (e goneErr) CaptureCode() string { return string(e) }

// goneCamera fails its first capture as a camera unplugged mid-capture,
// then captures normally.
type goneCamera struct {
	kiosk.Capturer
	mu    sync.Mutex
	calls int
}

func (g *goneCamera) Capture(ctx context.Context, moves []string) ([]camera.Frame, error) {
	g.mu.Lock()
	g.calls++
	first := g.calls == 1
	g.mu.Unlock()
	if first {
		return nil, fmt.Errorf("capture: read frame: %w", goneErr(session.ErrCameraGone))
	}
	return g.Capturer.Capture(ctx, moves)
}

// TestFailCameraGone: the camera vanishes during an attempt. The camera
// screen says so with the hint for staff, the attempt is not spent, Start
// is enabled again, and the next attempt goes on to the EDS rules.
func TestFailCameraGone(t *testing.T) {
	var cam *goneCamera
	f := newFailRig(t, kiosktest.Options{WrapCamera: func(c kiosk.Capturer) kiosk.Capturer {
		cam = &goneCamera{Capturer: c}
		return cam
	}}, ticket.DemoOrder())
	f.toWelcome()
	f.toBiometrics()
	l := f.u.cat.in("kk")
	n := f.u.state.BioAttemptsLeft

	f.tap(l.T("bio.start"))
	f.waitFor("capture failed", func(s session.State) bool { return s.Err == session.ErrCameraGone && s.Busy == session.OpNone })
	s := f.u.state
	if s.Step != session.StepBiometrics || s.BioAttemptsLeft != n {
		t.Fatalf("after the camera went: step=%s attempts %d (was %d)", s.Step, s.BioAttemptsLeft, n)
	}
	if !f.shows(l.Err(session.ErrCameraGone)) {
		t.Errorf("camera-gone message %q not shown: %q", l.Err(session.ErrCameraGone), f.texts())
	}
	if !f.shows(l.T("bio.attempts", "N", n)) {
		t.Errorf("attempts shown changed: %q", f.texts())
	}
	if !f.hasButton(l.T("bio.start")) {
		t.Fatal("start not enabled again after the capture failed")
	}

	f.tap(l.T("bio.start"))
	f.settle(session.StepEDSRules)
	if f.shows(l.Err(session.ErrCameraGone)) {
		t.Error("the camera message outlived the step")
	}
	cam.mu.Lock()
	calls := cam.calls
	cam.mu.Unlock()
	if calls != 2 {
		t.Errorf("camera asked %d times, want 2", calls)
	}
}
