package kiosk_test

import (
	"testing"
	"time"

	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/ticket"
)

// BenchmarkSessionOverHTTP runs whole sessions (ticket → done) through the
// runner against the simulator on loopback: the kiosk's own overhead per
// signing, with the simulator's RSA-2048 key generation included.
func BenchmarkSessionOverHTTP(b *testing.B) {
	g := newRig(b, 5*time.Second, session.DefaultLimits())
	o := ticket.DemoOrder()
	for b.Loop() {
		g.toCode(o)
		g.toBiometrics()
		g.toPassword()
		start := time.Now()
		g.runner.Dispatch(session.PasswordEntered{Password: "Qazaq#2026", Confirm: "Qazaq#2026"})
		g.waitStep(session.StepDone)
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "ms-password-to-done")
		g.runner.Dispatch(session.Finish{})
		g.waitStep(session.StepIdle)
	}
}
