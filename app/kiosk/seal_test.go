package kiosk_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/cades"
	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/kiosk/kiosktest"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/ticket"
)

// flakySealer is the national CA's services away for the first n tries.
type flakySealer struct {
	next  kiosk.Sealer
	n     int32
	tries atomic.Int32
}

func (f *flakySealer) Seal(ctx context.Context, cms, doc []byte) ([]byte, time.Time, error) {
	if f.tries.Add(1) <= f.n {
		return nil, time.Time{}, fmt.Errorf("seal: %w: HTTP 503", cades.ErrOCSPUnavailable)
	}
	return f.next.Seal(ctx, cms, doc)
}

func sealRig(t *testing.T, clk *kiosktest.Clock, wrap func(kiosk.Sealer) kiosk.Sealer) *rig {
	t.Helper()
	g := kiosktest.New(t, kiosktest.Options{Now: clk.Now, WrapSealer: wrap})
	return &rig{Rig: g, t: t, runner: g.Runner, sim: g.Sim, log: g.Log, signed: g.SignedDir}
}

func (g *rig) sign(o ticket.Order) {
	g.toCode(o)
	g.toBiometrics()
	g.toPassword()
	g.runner.Dispatch(session.PasswordEntered{Password: "Qazaq#2026", Confirm: "Qazaq#2026"})
}

func (g *rig) stored() int {
	ents, err := os.ReadDir(g.signed)
	if err != nil {
		g.t.Fatal(err)
	}
	return len(ents)
}

// The TSA down (the simulator's trigger): the subscriber is told which
// service, the machine retries by itself on its clock, and nothing is
// stored with a short signature however long it takes.
func TestTSADownKeepsSignatureUnstored(t *testing.T) {
	clk := kiosktest.NewClock()
	g := sealRig(t, clk, nil)
	o := ticket.DemoOrder()
	o.Subscriber.IIN = sim.TriggerIINTSADown
	g.sign(o)
	s := g.wait("seal retry", func(s session.State) bool { return s.Retry == session.OpSeal && s.Busy == session.OpNone })
	if s.Err != session.ErrTSAUnavailable || s.SealAttempts != 1 || s.Signed == nil || s.Step != session.StepSigning {
		t.Fatalf("err %q attempts %d step %v", s.Err, s.SealAttempts, s.Step)
	}
	for want := 2; want <= 4; want++ {
		clk.Add(time.Minute)
		g.wait("another seal try", func(s session.State) bool { return s.SealAttempts >= want && s.Busy == session.OpNone })
	}
	// Long past the session's limits: still waiting, still nothing stored.
	clk.Add(2 * time.Hour)
	g.wait("a try after hours", func(s session.State) bool { return s.SealAttempts >= 5 && s.Busy == session.OpNone })
	if s := g.runner.State(); s.Step != session.StepSigning || s.Signed == nil || g.stored() != 0 {
		t.Fatalf("step %v, %d packages stored", s.Step, g.stored())
	}
	// The log says why, by code only, and holds nothing personal.
	log := g.log.String()
	if !strings.Contains(log, `"event":"seal_failed"`) || !strings.Contains(log, session.ErrTSAUnavailable) {
		t.Fatalf("no seal_failed line:\n%s", log)
	}
	sub := o.Subscriber
	for _, v := range []string{sub.IIN, sub.Surname, sub.Given, sub.Phone, "Qazaq#2026"} {
		if strings.Contains(log, v) {
			t.Errorf("log holds personal data %q", v)
		}
	}
}

// Away twice, then back: the package stored is long-term valid.
func TestSealRecoversAndStoresLongTerm(t *testing.T) {
	clk := kiosktest.NewClock()
	var flaky *flakySealer
	g := sealRig(t, clk, func(s kiosk.Sealer) kiosk.Sealer { flaky = &flakySealer{next: s, n: 2}; return flaky })
	g.sign(ticket.DemoOrder())
	g.wait("first failure", func(s session.State) bool { return s.SealAttempts == 1 && s.Err == session.ErrOCSPUnavailable })
	if g.stored() != 0 {
		t.Fatal("stored before sealing")
	}
	clk.Add(2 * time.Second)
	g.wait("second failure", func(s session.State) bool { return s.SealAttempts == 2 && s.Busy == session.OpNone })
	clk.Add(4 * time.Second)
	s := g.waitStep(session.StepDone)
	if flaky.tries.Load() != 3 || s.Signed == nil || s.Signed.TimeStamped.IsZero() {
		t.Fatalf("tries %d", flaky.tries.Load())
	}
	z, err := os.ReadFile(g.signed + "/" + s.Receipt.PackageID + ".zip")
	if err != nil {
		t.Fatal(err)
	}
	sum, probs := pack.Verify(z, pack.VerifyOptions{Roots: g.Roots()})
	if len(probs) != 0 || !sum.Report(probs).Passed() || !sum.SignedAt.Equal(s.Signed.TimeStamped) {
		t.Fatalf("stored package: %q %s", probs, sum.Report(probs).Reason)
	}
}

// A revoked certificate (the simulator's trigger): the session ends with
// that reason and nothing is stored.
func TestRevokedCertificateEndsSession(t *testing.T) {
	clk := kiosktest.NewClock()
	g := sealRig(t, clk, nil)
	o := ticket.DemoOrder()
	o.Subscriber.IIN = sim.TriggerIINRevoked
	g.sign(o)
	s := g.waitStep(session.StepEnded)
	if s.Reason != session.ReasonCertRevoked || g.stored() != 0 {
		t.Fatalf("reason %q, %d stored", s.Reason, g.stored())
	}
}
