package session

import (
	"testing"
	"time"
)

// toStore reaches the store of a signed session.
func (r *run) toStore() *run {
	r.toSigning().do(CertificateIssued{Gen: r.gen()})
	r.wantEffect(DoSign{})
	r.do(SignedDoc{Gen: r.gen(), Sig: Signature{DocumentSHA256: sha}})
	return r.toSealed()
}

// noEffects fails when the last event asked for any work.
func (r *run) noEffects() *run {
	r.t.Helper()
	if len(r.eff) != 0 {
		r.t.Fatalf("unexpected effects %#v", r.eff)
	}
	return r
}

// A full or read-only disk at the end of a session: the signature stays,
// the screen says why, and the machine stores it again by itself every
// StoreRetry until it goes — no clock or cancel drops it meanwhile.
func TestStoreRetriesByItselfOnFullOrReadOnlyDisk(t *testing.T) {
	for _, code := range []string{ErrStoreDiskFull, ErrStoreReadOnly} {
		t.Run(code, func(t *testing.T) {
			r := newRun(t).toStore()
			r.do(Failed{Gen: r.gen(), Op: OpStore, Code: code}).want(StepSigning).noEffects()
			if r.s.Signed == nil || r.s.Retry != OpStore || r.s.Err != code || r.s.Busy != OpNone {
				t.Fatalf("signed %v retry %v err %q busy %v", r.s.Signed != nil, r.s.Retry, r.s.Err, r.s.Busy)
			}
			r.after(29 * time.Second).do(Tick{}).noEffects().do(Cancel{}).want(StepSigning)
			r.after(time.Second).do(Tick{})
			if d := r.wantEffect(DoStore{}).(DoStore); d.Snapshot.Signed == nil || r.s.Busy != OpStore {
				t.Fatal("retried without the signature, or not as a call in flight")
			}
			// Still full: again in 30 s, however long it takes.
			r.do(Failed{Gen: r.gen(), Op: OpStore, Code: code}).want(StepSigning)
			r.after(time.Hour).do(Tick{})
			r.wantEffect(DoStore{})
			r.do(Failed{Gen: r.gen(), Op: OpStore, Code: code})
			// The subscriber's Retry still works at once, and clears the timer.
			r.do(Retry{})
			r.wantEffect(DoStore{})
			r.do(Stored{Gen: r.gen(), Receipt: Receipt{PackageID: "p"}}).want(StepDone)
			if !r.s.RetryAt.IsZero() {
				t.Fatal("retry timer left set")
			}
		})
	}
}

// The other store failures keep the signature and offer Retry, without
// retrying on their own: a removed or damaged database does not mend itself.
func TestStoreFailureKinds(t *testing.T) {
	for _, code := range []string{ErrStoreFailed, ErrStoreMissing, ErrStoreDamaged, "some_new_code"} {
		t.Run(code, func(t *testing.T) {
			r := newRun(t).toStore()
			r.do(Failed{Gen: r.gen(), Op: OpStore, Code: code}).want(StepSigning)
			if r.s.Signed == nil || r.s.Retry != OpStore || r.s.Err != code {
				t.Fatalf("signed %v retry %v err %q", r.s.Signed != nil, r.s.Retry, r.s.Err)
			}
			r.after(time.Hour).do(Tick{}).noEffects().want(StepSigning)
			r.do(Retry{})
			r.wantEffect(DoStore{})
		})
	}
}

// A storage fault keeps new sessions out, whatever its kind, and outlives
// the session it was noticed in; once the runner finds the database fine
// again the next ticket starts one.
func TestStorageFaultKeepsSessionsOut(t *testing.T) {
	for _, code := range StorageCodes() {
		t.Run(code, func(t *testing.T) {
			r := newRun(t).do(StorageChecked{Fault: code})
			r.do(TicketAccepted{Ticket: testTicket()}).want(StepIdle)
			if r.s.Err != code || r.s.Storage != code || r.s.Ticket.TID != "" {
				t.Fatalf("err %q storage %q ticket %q", r.s.Err, r.s.Storage, r.s.Ticket.TID)
			}
			r.do(StorageChecked{}).want(StepIdle)
			if r.s.Err != "" {
				t.Fatalf("the refusal %q outlives its fault", r.s.Err)
			}
			r.toWelcome()

			// Noticed mid-session: the session goes on, the fault stays
			// after it, through ended and idle.
			r.do(StorageChecked{Fault: code}).want(StepWelcome)
			r.do(Cancel{}).want(StepEnded)
			r.after(time.Minute).do(Tick{}).want(StepIdle)
			if r.s.Storage != code {
				t.Fatalf("fault lost with the session: %q", r.s.Storage)
			}
			r.do(TicketAccepted{Ticket: testTicket()}).want(StepIdle)
			r.do(StorageChecked{}).toWelcome()
		})
	}
}
