package ui

import (
	"strings"
	"testing"

	"almatel.kz/signkiosk/app/kiosk/kiosktest"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/ticket"
)

// TestFailTimeStampServiceDown: the simulator's TSA-down trigger. After the
// password the signature exists but cannot be sealed: the subscriber reads
// that it is made and what it waits for, with the countdown to the next try
// by itself and a Retry that tries at once; there is no Cancel, and the
// signing screen behind does not repeat the message.
func TestFailTimeStampServiceDown(t *testing.T) {
	o := ticket.DemoOrder()
	o.Subscriber.IIN = sim.TriggerIINTSADown
	f := newFailRig(t, kiosktest.Options{}, o)
	kk := f.u.cat.in("kk")
	f.toWelcome()
	f.toBiometrics()
	f.tap(kk.T("bio.start"))
	f.settle(session.StepEDSRules)
	f.readToEnd()
	f.tap(kk.T("consent.agree"))
	f.settle(session.StepPassword)
	f.typePassword(testPassword)
	f.selectField(1)
	f.typePassword(testPassword)
	f.tap(kk.T("password.create"))

	f.waitFor("seal retry", func(s session.State) bool { return s.Retry == session.OpSeal && s.Busy == session.OpNone })
	f.q.drain()
	if !f.u.retry.shown() {
		t.Fatal("no waiting box")
	}
	msg := kk.Err(session.ErrTSAUnavailable)
	for _, want := range []string{kk.T("seal.title"), msg, kk.T("retry.retry")} {
		if !f.shows(want) {
			t.Errorf("does not show %q: %q", want, f.texts())
		}
	}
	if n := strings.Count(f.screenText(), flat(msg)); n != 1 {
		t.Errorf("the message shows %d times", n)
	}
	if !strings.Contains(f.screenText(), "-әрекет)") || f.hasButton(kk.T("cancel.button")) {
		t.Errorf("countdown or cancel wrong: %q", f.texts())
	}
	before := f.rig.Runner.State().SealAttempts
	f.tap(kk.T("retry.retry"))
	f.waitFor("another try", func(s session.State) bool {
		rs := f.rig.Runner.State()
		return rs.SealAttempts > before && rs.Busy == session.OpNone && s.Retry == session.OpSeal
	})
	if s := f.rig.Runner.State(); s.Step != session.StepSigning || s.Signed == nil {
		t.Fatalf("step %v: the signature was dropped", s.Step)
	}
}
