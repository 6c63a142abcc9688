package kiosk_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/kiosk/kiosktest"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/ticket"
)

// phases adds up the time spent in each part of "password → package".
type phases struct{ cert, render, sign, seal, store time.Duration }

type timedProvider struct {
	kiosk.Provider
	p *phases
}

func (t timedProvider) Certificate(ctx context.Context, id, pw string) (provider.CertificateResponse, error) {
	defer func(s time.Time) { t.p.cert += time.Since(s) }(time.Now())
	return t.Provider.Certificate(ctx, id, pw)
}

func (t timedProvider) Sign(ctx context.Context, id string, req provider.SignRequest) (provider.SignResponse, error) {
	defer func(s time.Time) { t.p.sign += time.Since(s) }(time.Now())
	return t.Provider.Sign(ctx, id, req)
}

type timedDocs struct {
	kiosk.Documents
	p *phases
}

func (t timedDocs) Render(s session.State) ([]byte, error) {
	defer func(st time.Time) { t.p.render += time.Since(st) }(time.Now())
	return t.Documents.Render(s)
}

type timedSealer struct {
	next kiosk.Sealer
	p    *phases
}

func (t timedSealer) Seal(ctx context.Context, cms, doc []byte) ([]byte, time.Time, error) {
	defer func(st time.Time) { t.p.seal += time.Since(st) }(time.Now())
	return t.next.Seal(ctx, cms, doc)
}

type timedStore struct {
	next kiosk.Store
	p    *phases
}

func (t timedStore) Store(ctx context.Context, s session.State) (session.Receipt, error) {
	defer func(st time.Time) { t.p.store += time.Since(st) }(time.Now())
	return t.next.Store(ctx, s)
}

// BenchmarkPasswordToPackage times "create password" → package stored, with
// the in-process simulator over loopback HTTP, split into the certificate
// call (key sealing under the password + certificate; the key itself was
// made while the subscriber read the EDS rules), the PDF, the sign call
// (unseal + CMS), the seal (the national CA's time stamp and OCSP calls
// over loopback HTTP, then the full long-term validation of the result) and
// the package (card PDF, ZIP + manifest signature + fsync). Only
// the timed phases are inside the benchmark timer.
func BenchmarkPasswordToPackage(b *testing.B) {
	var p phases
	g := &rig{t: b}
	g.Rig = kiosktest.New(b, kiosktest.Options{
		WrapProvider: func(x kiosk.Provider) kiosk.Provider { return timedProvider{x, &p} },
		WrapDocs:     func(x kiosk.Documents) kiosk.Documents { return timedDocs{x, &p} },
		WrapStore:    func(x kiosk.Store) kiosk.Store { return timedStore{x, &p} },
		WrapSealer:   func(x kiosk.Sealer) kiosk.Sealer { return timedSealer{x, &p} },
	})
	g.runner, g.sim, g.log, g.signed = g.Runner, g.Sim, g.Log, g.SignedDir
	o := ticket.DemoOrder()
	var total time.Duration
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		g.toCode(o)
		g.toBiometrics()
		g.toPassword()
		time.Sleep(300 * time.Millisecond) // reading the EDS rules: the key gets made
		b.StartTimer()
		start := time.Now()
		g.runner.Dispatch(session.PasswordEntered{Password: "Qazaq#2026", Confirm: "Qazaq#2026"})
		g.waitStep(session.StepDone)
		total += time.Since(start)
		b.StopTimer()
		g.runner.Dispatch(session.Finish{})
		g.waitStep(session.StepIdle)
	}
	n := float64(b.N) * float64(time.Millisecond)
	b.ReportMetric(float64(total)/n, "ms-total")
	b.ReportMetric(float64(p.cert)/n, "ms-certificate")
	b.ReportMetric(float64(p.render)/n, "ms-pdf")
	b.ReportMetric(float64(p.sign)/n, "ms-sign")
	b.ReportMetric(float64(p.seal)/n, "ms-seal")
	b.ReportMetric(float64(p.store)/n, "ms-package")
}

// BenchmarkRSAKeygen is the cost the provider hides by making the key early.
func BenchmarkRSAKeygen(b *testing.B) {
	for b.Loop() {
		if _, err := rsa.GenerateKey(rand.Reader, 2048); err != nil {
			b.Fatal(err)
		}
	}
}
