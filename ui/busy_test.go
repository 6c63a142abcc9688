package ui

import (
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/kiosk/kiosktest"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/ticket"
)

// TestBusySlowOffersCancel: a call that hangs (the slow IIN's code check,
// with a provider timeout far away) keeps the waiting overlay up, which
// covers the header's Cancel. Until busySlowAfter it only waits; then it
// says the wait is long and offers Cancel, which asks first and then ends
// the session at once, abandoning the call, with nothing of the subscriber
// left.
func TestBusySlowOffersCancel(t *testing.T) {
	o := ticket.DemoOrder()
	o.Subscriber.IIN = sim.TriggerIINSlow
	// The call hangs for an hour: if ending the session waited for it, the
	// "ended" wait below (bounded at 30 s) would fail; no clock needed.
	f := newFailRig(t, kiosktest.Options{Timeout: time.Hour, SlowDelay: time.Hour}, o)
	clock := &testClock{t: time.Now()}
	f.u.now = clock.now
	f.toWelcome()
	f.toCode()
	l := f.u.loc()
	code, ok := f.rig.Sim.LastCode(f.u.state.ProviderSession)
	if !ok {
		t.Fatal("simulator sent no code")
	}
	f.typeCode(code)
	f.waitFor("the code check", func(s session.State) bool { return s.Busy == session.OpCode })
	if !f.u.busy.shown() || strings.HasSuffix(f.u.busy.key, ":true") || f.shows(l.T("busy.slow")) {
		t.Fatalf("at first the overlay should only wait: key %q, texts %q", f.u.busy.key, f.texts())
	}

	clock.advance(busySlowAfter + time.Second)
	// The overlay looks every second (a real ticker); 20 s only stops a
	// broken test on a busy machine.
	deadline := time.Now().Add(20 * time.Second)
	for !strings.HasSuffix(f.u.busy.key, ":true") {
		if time.Now().After(deadline) {
			t.Fatalf("the slow call got no Cancel: key %q", f.u.busy.key)
		}
		time.Sleep(50 * time.Millisecond)
		f.q.drain()
	}
	if !f.shows(l.T("busy.slow")) || !f.shows(l.Busy(session.OpCode)) {
		t.Errorf("slow overlay texts: %q", f.texts())
	}

	f.tap(l.T("cancel.button")) // the overlay's: the last one on screen
	if !f.u.confirm.shown() || f.u.state.Step != session.StepCode {
		t.Fatalf("Cancel did not ask first: confirm %v, step %s", f.u.confirm.shown(), f.u.state.Step)
	}
	f.tap(l.T("cancel.yes"))
	f.waitFor("ended", func(s session.State) bool { return s.Step == session.StepEnded })
	if s := f.u.state; s.Reason != session.ReasonCancelled {
		t.Errorf("reason %q, want cancelled", s.Reason)
	}
	if f.u.busy.shown() || f.u.confirm.shown() {
		t.Error("an overlay outlived the session")
	}
	f.wiped()
}
