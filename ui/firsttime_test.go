package ui

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/session"
)

// The stumbles a first-time subscriber met (issue 14), each kept fixed.

// Out of attempts the code screen says one thing (ask for a new code),
// and the keypad takes nothing until a new code is on its way.
func TestCodeOutOfAttemptsOneMessage(t *testing.T) {
	for _, lang := range []string{"kk", "ru"} {
		t.Run(lang, func(t *testing.T) {
			k := newFakeKiosk()
			h := newHarness(t, Options{Kiosk: k, Now: k.clock})
			l := h.u.cat.in(lang)
			s := sampleStates(lang, k.now)["code"]
			s.CodeAttemptsLeft, s.Err, s.ResendAt = 0, provider.CodeWrongCode, k.now.Add(-time.Second)
			k.set(s)
			h.q.drain()
			if !h.shows(l.T("code.need_resend")) {
				t.Fatalf("no %q: %q", l.T("code.need_resend"), h.texts())
			}
			if h.shows(l.Err(provider.CodeWrongCode)) {
				t.Errorf("%q shows beside %q", l.Err(provider.CodeWrongCode), l.T("code.need_resend"))
			}
			for _, key := range []string{"1", "0", l.T("keypad.clear")} {
				if h.hasButton(key) {
					t.Errorf("key %q takes input with no attempt left", key)
				}
			}
			if !h.hasButton(l.T("code.resend")) {
				t.Error("no way on: Resend is not enabled")
			}

			// An expired code: its own reason, once.
			s.Err = provider.CodeCodeExpired
			k.set(s)
			h.q.drain()
			if got := countText(h, l.Err(provider.CodeCodeExpired)); got != 1 || h.shows(l.T("code.need_resend")) {
				t.Errorf("expired code: %q %d times, texts %q", l.Err(provider.CodeCodeExpired), got, h.texts())
			}
		})
	}
}

// countText counts the texts on screen equal to text.
func countText(h *harness, text string) int {
	n := 0
	for _, s := range h.texts() {
		if flat(s) == flat(text) {
			n++
		}
	}
	return n
}

// After "send a new code" the old digits are gone, Confirm waits for the
// new code, and the screen says it was sent.
func TestCodeResendClearsAndConfirms(t *testing.T) {
	for _, lang := range []string{"kk", "ru"} {
		t.Run(lang, func(t *testing.T) {
			k := newFakeKiosk()
			h := newHarness(t, Options{Kiosk: k, Now: k.clock})
			l := h.u.cat.in(lang)
			s := sampleStates(lang, k.now)["code"]
			s.Err, s.CodeSent = "", 1
			k.set(s)
			h.q.drain()
			if h.shows(l.T("code.sent")) {
				t.Error("the first code is announced as a new one")
			}
			for _, d := range "123456" {
				h.tap(string(d))
			}
			if !h.hasButton(l.T("code.ok")) {
				t.Fatal("six digits typed, Confirm not enabled")
			}
			s.CodeSent, s.ResendsLeft, s.CodeAttemptsLeft = 2, s.ResendsLeft-1, 3
			k.set(s)
			h.q.drain()
			if len(h.u.input.code) != 0 || h.u.screen.(*codeScreen).digits[0].Text != "" {
				t.Errorf("the old code stays in the boxes: %q", string(h.u.input.code))
			}
			if h.hasButton(l.T("code.ok")) {
				t.Error("Confirm enabled with the old code gone: it would burn an attempt")
			}
			if !h.shows(l.T("code.sent")) {
				t.Errorf("no %q: %q", l.T("code.sent"), h.texts())
			}
			// Switching the language keeps the news on screen.
			other := "ru"
			if lang == "ru" {
				other = "kk"
			}
			s.Lang = other
			k.set(s)
			h.q.drain()
			if !h.shows(h.u.cat.in(other).T("code.sent")) {
				t.Errorf("the new-code notice went with the language switch: %q", h.texts())
			}
		})
	}
}

// The header's "Aa" enlarges the screen's text in two steps and back; the
// size holds through the session's steps and resets for the next one.
func TestTextSizeToggle(t *testing.T) {
	k := newFakeKiosk()
	h := newHarness(t, Options{Kiosk: k, Now: k.clock})
	states := sampleStates("kk", k.now)
	k.set(states["welcome"])
	h.q.drain()
	if overridden(h) != nil {
		t.Fatal("the text is enlarged before anyone asked")
	}
	h.tap(textSizeLabel[0])
	o := overridden(h)
	if o == nil || o.Theme.Size("text") != NewTheme().Size("text")*textScales[1] {
		t.Fatalf("one tap: %v", o)
	}
	h.tap(textSizeLabel[1])
	if o := overridden(h); o == nil || o.Theme.Size("text") != NewTheme().Size("text")*textScales[2] {
		t.Fatalf("two taps: %v", o)
	}
	// The header does not grow with it.
	if b := h.button(textSizeLabel[2]); b.Importance != widget.HighImportance {
		t.Error("the enlarged size is not marked on its button")
	}
	k.set(states["code"]) // the next step of the same session
	h.q.drain()
	if o := overridden(h); o == nil || o.Theme.Size("text") != NewTheme().Size("text")*textScales[2] {
		t.Fatal("the text size did not hold into the next step")
	}
	h.tap(textSizeLabel[2])
	if overridden(h) != nil {
		t.Fatal("a third tap did not return to the normal size")
	}
	h.tap(textSizeLabel[0])
	next := states["welcome"]
	next.Gen++ // the next subscriber
	k.set(next)
	h.q.drain()
	if overridden(h) != nil || !h.hasButton(textSizeLabel[0]) {
		t.Fatal("the last subscriber's text size carried into a new session")
	}
}

// overridden finds the screen's text-size theme, nil at the normal size.
func overridden(h *harness) *container.ThemeOverride {
	for _, o := range h.objects() {
		if t, ok := o.(*container.ThemeOverride); ok {
			return t
		}
	}
	return nil
}

// The kiosk's own password keyboard never offers a character the rule
// then refuses: "qwerty12-" makes a password.
func TestPasswordExtrasCount(t *testing.T) {
	k := newFakeKiosk()
	h := newHarness(t, Options{Kiosk: k, Now: k.clock})
	s := sampleStates("ru", k.now)["password"]
	s.Err = ""
	k.set(s)
	h.q.drain()
	ps := h.u.screen.(*passwordScreen)
	for field := range 2 {
		h.u.input.active = field
		for _, r := range "qwerty12-" {
			h.tap(string(r))
		}
	}
	ps.show()
	if !h.hasButton(h.u.cat.in("ru").T("password.create")) {
		t.Fatalf("qwerty12- (typed twice on the kiosk's keyboard) cannot be saved: %q", h.texts())
	}
	test.Tap(h.button(h.u.cat.in("ru").T("password.create")))
	h.q.drain()
	if !k.sent(func(e session.Event) bool { _, ok := e.(session.PasswordEntered); return ok }) {
		t.Fatal("Create sent no password")
	}
}

// The welcome screen's language buttons stay where they are when the
// language changes, however the texts above Begin wrap.
func TestWelcomeLanguageButtonsStay(t *testing.T) {
	for _, size := range []fyne.Size{fyne.NewSize(1280, 800), fyne.NewSize(1080, 1920)} {
		k := newFakeKiosk()
		h := newHarness(t, Options{Kiosk: k, Now: k.clock})
		h.win.Resize(size)
		where := map[string]fyne.Position{}
		for _, lang := range []string{"kk", "ru", "en"} {
			s := sampleStates(lang, k.now)["welcome"]
			k.set(s)
			h.q.drain()
			settleLayout(h.win.Canvas())
			// Two "Қазақша": the welcome's own, then the header's.
			var found []*widget.Button
			for _, o := range h.objects() {
				if b, ok := o.(*widget.Button); ok && b.Text == h.u.cat.in(lang).T("lang.kk") {
					found = append(found, b)
				}
			}
			if len(found) != 2 {
				t.Fatalf("%v %s: %d Қазақша buttons", size, lang, len(found))
			}
			for i, b := range found {
				at := fyne.CurrentApp().Driver().AbsolutePositionForObject(b)
				key := fmt.Sprint(i)
				if first, ok := where[key]; ok && first != at {
					t.Errorf("%v: in %s language button %d moved from %v to %v", size, lang, i, first, at)
				}
				where[key] = at
			}
		}
		// Nor when Cancel goes (a done session cannot be cancelled).
		k.set(sampleStates("en", k.now)["done"])
		h.q.drain()
		settleLayout(h.win.Canvas())
		if h.hasButton(h.u.cat.in("en").T("cancel.button")) {
			t.Fatal("Cancel offered on the done screen")
		}
		at := fyne.CurrentApp().Driver().AbsolutePositionForObject(h.button(h.u.cat.in("en").T("lang.kk")))
		if at != where["1"] { // the header's (drawn after the screen)
			t.Errorf("%v: with Cancel gone the header's language button moved from %v to %v", size, where["1"], at)
		}
	}
}

// No screen keeps a theme override it does not need (Fyne parses every font
// again for each override and never lets the faces go): the biometrics
// screen's large move prompt takes its size from the kiosk theme. The
// overrides larger text makes are let go of on the way back to idle, by
// setting the theme again (which clears Fyne's font cache), once.
func TestThemeOverridesLetGo(t *testing.T) {
	k := newFakeKiosk()
	h := newHarness(t, Options{Kiosk: k, Now: k.clock})
	states := sampleStates("kk", k.now)
	k.set(states["biometrics"])
	h.q.drain()
	if o := overridden(h); o != nil {
		t.Fatalf("the biometrics screen at the normal text size has a theme override (%T)", o.Theme)
	}
	if got := NewTheme().Size(sizeNameMove); got != 48 {
		t.Fatalf("the kiosk theme sizes the move prompt %v, want 48", got)
	}
	applied := 0
	fyne.CurrentApp().Settings().AddListener(func(fyne.Settings) { applied++ })
	h.tap(textSizeLabel[0])
	k.set(states["password"])
	h.q.drain()
	if h.u.overrides != 2 || applied != 0 {
		t.Fatalf("two screens at a larger size: %d overrides counted, theme applied %d times; want 2 and 0", h.u.overrides, applied)
	}
	k.set(states["idle"])
	h.q.drain()
	if h.u.overrides != 0 || applied != 1 {
		t.Fatalf("back at idle: %d overrides counted, theme applied %d times; want 0 and 1", h.u.overrides, applied)
	}
	if _, ours := fyne.CurrentApp().Settings().Theme().(*kioskTheme); !ours {
		t.Fatalf("the theme set again is %T, want the kiosk's", fyne.CurrentApp().Settings().Theme())
	}
	next := states["welcome"]
	next.Gen++
	k.set(next)
	h.q.drain()
	k.set(states["idle"])
	h.q.drain()
	if applied != 1 {
		t.Fatalf("a session at the normal size set the theme again (%d times)", applied)
	}
}
