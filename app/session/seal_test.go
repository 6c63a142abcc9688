package session

import (
	"bytes"
	"testing"
	"time"
)

var genTime = t0.Add(7 * time.Minute)

// toSealed answers the seal the signature asked for and expects the store.
func (r *run) toSealed() *run {
	r.t.Helper()
	r.wantEffect(DoSeal{})
	r.do(Sealed{Gen: r.gen(), CMS: []byte("long-term"), GenTime: genTime})
	r.wantEffect(DoStore{})
	return r
}

// toSeal reaches the seal of a fresh signature.
func (r *run) toSeal() *run {
	r.toSigning().do(CertificateIssued{Gen: r.gen()})
	r.do(SignedDoc{Gen: r.gen(), Sig: Signature{DocumentSHA256: sha, CMS: []byte("bes")}})
	if d := r.wantEffect(DoSeal{}).(DoSeal); !bytes.Equal(d.CMS, []byte("bes")) || r.s.Busy != OpSeal {
		r.t.Fatalf("seal of %q, busy %v", d.CMS, r.s.Busy)
	}
	return r
}

// The store gets the sealed CMS and its genTime, never the short one.
func TestSealedSignatureIsWhatIsStored(t *testing.T) {
	r := newRun(t).toSeal()
	r.do(Sealed{Gen: r.gen(), CMS: []byte("long-term"), GenTime: genTime})
	d := r.wantEffect(DoStore{}).(DoStore)
	if string(d.Snapshot.Signed.CMS) != "long-term" || !d.Snapshot.Signed.TimeStamped.Equal(genTime) {
		t.Fatalf("stored %q at %v", d.Snapshot.Signed.CMS, d.Snapshot.Signed.TimeStamped)
	}
	if r.s.HasPassword() {
		t.Fatal("password kept after signing")
	}
}

// The national CA's services away: the signature waits in memory, the
// screen says which service, and the machine tries again by itself with a
// doubling wait up to SealRetryMax; no clock or cancel drops the session;
// Retry tries at once; nothing is stored until the seal succeeds.
func TestSealRetriesWithBackoff(t *testing.T) {
	for _, code := range []string{ErrTSAUnavailable, ErrOCSPUnavailable, ErrSealFailed} {
		t.Run(code, func(t *testing.T) {
			r := newRun(t).toSeal()
			waits := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, 60 * time.Second, 60 * time.Second}
			for i, w := range waits {
				r.do(Failed{Gen: r.gen(), Op: OpSeal, Code: code}).want(StepSigning).noEffects()
				if r.s.Err != code || r.s.Retry != OpSeal || r.s.SealAttempts != i+1 || r.s.Signed == nil {
					t.Fatalf("attempt %d: err %q retry %v attempts %d", i+1, r.s.Err, r.s.Retry, r.s.SealAttempts)
				}
				if got := r.s.RetryAt.Sub(r.now); got != w {
					t.Fatalf("attempt %d: waits %v, want %v", i+1, got, w)
				}
				r.after(w - time.Millisecond).do(Tick{}).noEffects().do(Cancel{}).want(StepSigning)
				r.after(time.Millisecond).do(Tick{})
				if d := r.wantEffect(DoSeal{}).(DoSeal); string(d.CMS) != "bes" {
					t.Fatalf("retried sealing %q", d.CMS)
				}
			}
			// Long past the session's absolute limit: still kept.
			r.do(Failed{Gen: r.gen(), Op: OpSeal, Code: code}).after(2 * time.Hour).do(Tick{})
			r.wantEffect(DoSeal{})
			r.do(Failed{Gen: r.gen(), Op: OpSeal, Code: code})
			r.do(Retry{})
			r.wantEffect(DoSeal{})
			r.toSealedAfterRetry(t)
		})
	}
}

func (r *run) toSealedAfterRetry(t *testing.T) {
	r.do(Sealed{Gen: r.gen(), CMS: []byte("long-term"), GenTime: genTime})
	r.wantEffect(DoStore{})
	if r.s.SealAttempts != 0 || !r.s.RetryAt.IsZero() || r.s.Err != "" {
		t.Fatalf("attempts %d retryAt %v err %q left after sealing", r.s.SealAttempts, r.s.RetryAt, r.s.Err)
	}
	r.do(Stored{Gen: r.gen(), Receipt: Receipt{PackageID: "p"}}).want(StepDone)
}

// A revoked certificate can never give a valid signature: the session ends
// with that reason and everything of it is wiped.
func TestSealRevokedEndsSession(t *testing.T) {
	r := newRun(t).toSeal()
	r.do(Failed{Gen: r.gen(), Op: OpSeal, Code: ErrCertRevoked}).want(StepEnded)
	if r.s.Reason != ReasonCertRevoked || r.s.Signed != nil {
		t.Fatalf("reason %q signed %v", r.s.Reason, r.s.Signed != nil)
	}
	r.wantEffect(DoAudit{})
	assertWiped(t, r.s)
}

// An unknown code from the sealer is shown as seal_failed and retried.
func TestSealUnknownCodeRetried(t *testing.T) {
	r := newRun(t).toSeal()
	r.do(Failed{Gen: r.gen(), Op: OpSeal, Code: "something_new"}).want(StepSigning)
	if r.s.Err != ErrSealFailed || r.s.Retry != OpSeal {
		t.Fatalf("err %q retry %v", r.s.Err, r.s.Retry)
	}
}
