package kiosk_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/failedsession"
	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/kiosk/kiosktest"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/sync/outbox"
)

// newOutboxRig is the rig keeping packages and failed-session records in
// the outbox, as the kiosk does.
func newOutboxRig(t *testing.T, o kiosktest.Options) *rig {
	t.Helper()
	o.Outbox = true
	g := kiosktest.New(t, o)
	return &rig{Rig: g, t: t, runner: g.Runner, sim: g.Sim, log: g.Log, signed: g.SignedDir}
}

// failedRecords waits for n failed-session records in the outbox and reads
// each as head office would: signature, strict record, device certificate
// chaining to the rig's kiosk CA as of the session's end.
func (g *rig) failedRecords(n int) ([]failedsession.Record, [][]byte) {
	g.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	for {
		items, err := g.Outbox.List(ctx, 0)
		if err != nil {
			g.t.Fatal(err)
		}
		var recs []failedsession.Record
		var bodies [][]byte
		for _, it := range items {
			if it.Kind != outbox.KindFailedSession {
				continue
			}
			body, err := g.Outbox.Payload(ctx, it.ID)
			if err != nil {
				g.t.Fatal(err)
			}
			s, err := failedsession.Parse(body)
			if err != nil {
				g.t.Fatal(err)
			}
			r, err := s.Verify()
			if err != nil {
				g.t.Fatal(err)
			}
			if err := pack.VerifyDeviceChain(s.Device, s.Intermediates, g.KioskCA.CAPool, r.EndedAt); err != nil {
				g.t.Fatalf("device chain: %v", err)
			}
			if r.RecordID != it.ID {
				g.t.Fatalf("record %s queued under %s", r.RecordID, it.ID)
			}
			recs, bodies = append(recs, r), append(bodies, body)
		}
		if len(recs) >= n {
			if len(recs) > n {
				g.t.Fatalf("%d failed-session records, want %d", len(recs), n)
			}
			return recs, bodies
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("%d failed-session records in the outbox, want %d", len(recs), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The session that fails biometrics five times (the simulator's no-match
// IIN) ends and leaves a signed record in the outbox: ticket, office,
// kiosk, staff code, order, where and why it ended, each attempt's
// decision — and none of the subscriber's data, in the record, the
// database file or the log.
func TestBiometricFailureLeavesRecord(t *testing.T) {
	g := newOutboxRig(t, kiosktest.Options{})
	o := ticket.DemoOrder()
	o.Subscriber.IIN = sim.TriggerIINNoMatch
	g.toCode(o)
	code := g.code()
	g.toBiometrics()
	for i := 0; i < 5; i++ {
		g.runner.Dispatch(session.CaptureStart{})
		g.wait("attempt judged", func(s session.State) bool {
			return (s.Step == session.StepBiometrics && s.Busy == session.OpNone && s.BioAttemptsLeft == 4-i) || s.Step == session.StepEnded
		})
	}
	if s := g.waitStep(session.StepEnded); s.Reason != session.ReasonBiometricFailed {
		t.Fatalf("reason %q", s.Reason)
	}
	recs, bodies := g.failedRecords(1)
	r := recs[0]
	if r.Reason != "biometric_failed" || r.Step != "biometrics" || r.Office != kiosktest.Office || r.Kiosk != kiosktest.KioskID ||
		r.Staff != "S-1" || r.OrderID != o.ID || r.Lang != o.Lang || r.ProviderSession == "" {
		t.Fatalf("record: %+v", r)
	}
	if !strings.Contains(g.log.String(), `"tid":"`+r.TicketID+`"`) {
		t.Errorf("the record's ticket %s is not the session's", r.TicketID)
	}
	if len(r.Biometrics) != 5 || r.Biometrics[4].Decision != "fail" {
		t.Fatalf("attempts: %+v", r.Biometrics)
	}
	// Each attempt's reason is the provider's (no_match for this IIN, or
	// a move it did not see).
	for i, a := range r.Biometrics {
		if a.Decision == "pass" || !failedsession.IsCode(a.Reason) || a.DecisionID == "" || a.ChallengeID == "" || len(a.Moves) == 0 {
			t.Errorf("attempt %d: %+v", i, a)
		}
	}
	var steps []string
	for _, m := range r.Steps {
		steps = append(steps, m.Step)
	}
	if strings.Join(steps, ",") != "welcome,code,review,privacy,biometrics" {
		t.Errorf("steps %v", steps)
	}
	if !strings.Contains(g.log.String(), `"event":"failed_session_queued"`) {
		t.Error("no log line says the record was queued")
	}

	// Nothing personal anywhere: the record as signed, the database files
	// (the outbox encrypts; the ledger keeps ids), the log.
	files, _ := filepath.Glob(g.DBPath + "*")
	var disk []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		disk = append(disk, b...)
	}
	sub := o.Subscriber
	for name, v := range map[string]string{"IIN": sub.IIN, "surname": sub.Surname, "given name": sub.Given,
		"patronymic": sub.Patronymic, "phone": sub.Phone, "address": o.Address} {
		if strings.Contains(string(bodies[0]), v) {
			t.Errorf("the record holds the %s", name)
		}
		if strings.Contains(string(disk), v) {
			t.Errorf("the database files hold the %s", name)
		}
	}
	if strings.Contains(string(bodies[0]), `"`+code+`"`) {
		t.Error("the record holds the code from 1414")
	}
	assertNoPII(t, g.log.String(), o, code, "no password was typed")
}

// A session cancelled at the review also leaves its record: every end is
// told, each with its reason and the step it ended at.
func TestCancelledSessionLeavesRecord(t *testing.T) {
	g := newOutboxRig(t, kiosktest.Options{})
	g.toCode(ticket.DemoOrder())
	g.runner.Dispatch(session.CodeEntered{Code: g.code()})
	g.waitStep(session.StepReview)
	g.runner.Dispatch(session.Cancel{})
	g.waitStep(session.StepEnded)
	recs, _ := g.failedRecords(1)
	if r := recs[0]; r.Reason != "cancelled" || r.Step != "review" || len(r.Biometrics) != 0 || r.Error != "" {
		t.Fatalf("record: %+v", r)
	}
}

// blockingFailed holds every Keep until released, then fails it.
type blockingFailed struct {
	release chan struct{}
	once    sync.Once
	entered chan struct{}
}

func (b *blockingFailed) Keep(ctx context.Context, _ failedsession.Record) error {
	b.once.Do(func() { close(b.entered) })
	select {
	case <-b.release:
		return errors.New("boom: disk said no")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Queueing the record never holds the ended screen nor the next session,
// and a failure is logged by its code only.
func TestFailedRecordNeverBlocksTheKiosk(t *testing.T) {
	b := &blockingFailed{release: make(chan struct{}), entered: make(chan struct{})}
	g := newOutboxRig(t, kiosktest.Options{WrapFailed: func(kiosk.FailedSessions) kiosk.FailedSessions { return b }})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(b.release) }) }) // before the rig stops (cleanups run last first)
	g.runner.Scan(g.ticketFor(ticket.DemoOrder()))
	g.waitStep(session.StepWelcome)
	g.runner.Dispatch(session.Cancel{})
	g.waitStep(session.StepEnded)
	<-b.entered
	g.runner.Dispatch(session.Finish{})
	g.waitStep(session.StepIdle)
	// The next subscriber starts while the first record still waits.
	g.runner.Scan(g.ticketFor(ticket.DemoOrder()))
	g.waitStep(session.StepWelcome)
	once.Do(func() { close(b.release) })
	g.wait("failure logged", func(session.State) bool { return strings.Contains(g.log.String(), "failed_session_not_queued") })
	log := g.log.String()
	if !strings.Contains(log, `"code":"store_failed"`) || strings.Contains(log, "boom") {
		t.Fatalf("the failure is not logged by its code alone:\n%s", log)
	}
}

// FailedRecord takes only codes, ids and times from the session, and
// redacts a value that holds the subscriber's data however it got there.
func TestFailedRecordRedacts(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	o := ticket.DemoOrder()
	s := session.State{
		Step: session.StepCode, Lang: "ru", Reason: session.ReasonCodeAttempts, Err: "wrong_code",
		Ticket:  ticket.Payload{TID: "0b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a", Office: "ALM-001", Staff: strings.ToLower(o.Subscriber.Surname), Order: o},
		Started: now.Add(-3 * time.Minute), EndedAt: now, ProviderSession: "sess-" + o.Subscriber.IIN,
		Marks: []session.Mark{{Step: session.StepWelcome, At: now.Add(-3 * time.Minute)}, {Step: session.StepCode, At: now.Add(-2 * time.Minute)}},
	}
	s.Ticket.Order.ID = "ORD-" + o.Subscriber.Phone
	r, ok := kiosk.FailedRecord(s)
	if !ok {
		t.Fatal("no record")
	}
	if r.Staff != failedsession.Redacted || r.OrderID != failedsession.Redacted || r.ProviderSession != failedsession.Redacted {
		t.Fatalf("not redacted: %+v", r)
	}
	if r.Reason != "code_attempts" || r.Step != "code" || r.Error != "wrong_code" || r.Office != "ALM-001" || len(r.Steps) != 2 {
		t.Fatalf("record: %+v", r)
	}
	r.Kiosk = kiosktest.KioskID
	if err := failedsession.Check(r); err != nil {
		t.Fatalf("the record would be refused: %v", err)
	}
	if _, ok := kiosk.FailedRecord(session.State{Reason: session.ReasonIdle}); ok {
		t.Error("a record for a session without a ticket")
	}
}
