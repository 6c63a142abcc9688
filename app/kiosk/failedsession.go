package kiosk

import (
	"context"
	"crypto/ed25519"
	"errors"
	"time"

	"github.com/google/uuid"

	"almatel.kz/signkiosk/app/failedsession"
	"almatel.kz/signkiosk/app/session"
)

// FailedSessions keeps the record of a session that ended before signing
// until head office has it (FailedSessionStore). The runner calls Keep off
// its own goroutine; nil in Config records none.
type FailedSessions interface {
	Keep(ctx context.Context, rec failedsession.Record) error
}

// FailedSessionQueue holds a signed record durably for delivery
// (*outbox.Outbox: the same queue, retries and encryption as packages).
type FailedSessionQueue interface {
	EnqueueFailedSession(ctx context.Context, id string, body []byte) error
}

// FailedSessionStore completes a record with what the kiosk is (its id,
// version, camera), signs it with the device key that signs the packages'
// manifests, and queues it with device.pem inside, as a package carries it.
type FailedSessionStore struct {
	KioskID    string
	Version    string
	DeviceKey  ed25519.PrivateKey
	DeviceCert []byte // device.pem
	Queue      FailedSessionQueue
	// Camera is the kiosk's camera (as PackageStore's); nil records an
	// empty identity.
	Camera func() CameraIdentity
}

// Keep implements FailedSessions.
func (f FailedSessionStore) Keep(ctx context.Context, rec failedsession.Record) error {
	rec.Kiosk, rec.AppVersion = f.KioskID, f.Version
	if f.Camera != nil {
		rec.Camera = failedsession.Camera(f.Camera())
	}
	failedsession.Redact(&rec, nil) // the camera's names, shape only
	body, err := failedsession.Sign(rec, f.DeviceKey, f.DeviceCert)
	if err != nil {
		return err
	}
	return f.Queue.EnqueueFailedSession(ctx, rec.RecordID, body)
}

// failedKeepTimeout bounds queueing one record: a database that does not
// answer by then is the storage probe's to report, not the ended screen's.
const failedKeepTimeout = 30 * time.Second

// Codes a record that could not be queued is logged with.
const (
	codeRecordInvalid = "record_invalid" // the record or the device certificate would be refused
	codeRecordTimeout = "record_timeout"
)

// FailedRecord is the PII-free record of s, a session that ended before
// signing (the audit snapshot: Reason and EndedAt set), on the kiosk's
// side: the kiosk's own fields (id, version, camera) are the store's to
// fill. ok is false when s is not a session head office is told of (no
// ticket, no reason). Every end reason is told: head office sees each
// admitted ticket end as a package or as one of these
// (docs/FAILED_SESSIONS.md). Values the session's personal data could have
// got into are redacted.
func FailedRecord(s session.State) (rec failedsession.Record, ok bool) {
	if s.Ticket.TID == "" || s.Reason == "" {
		return failedsession.Record{}, false
	}
	step := s.Step
	if step == session.StepIdle || step == session.StepEnded {
		step = session.StepWelcome
		if n := len(s.Marks); n > 0 {
			step = s.Marks[n-1].Step
		}
	}
	rec = failedsession.Record{
		V: failedsession.Version, RecordID: uuid.NewString(), TicketID: s.Ticket.TID,
		Office: s.Ticket.Office, Staff: s.Ticket.Staff, OrderID: s.Ticket.Order.ID, Lang: s.Lang,
		ProviderSession: s.ProviderSession, Step: step.String(), Reason: string(s.Reason), Error: s.Err,
		Biometrics: []failedsession.Attempt{}, Steps: []failedsession.Mark{},
		StartedAt: s.Started.UTC(), EndedAt: s.EndedAt.UTC(),
	}
	rec.ProviderSession = asID(rec.ProviderSession, "")
	rec.Error = asCode(rec.Error)
	for _, b := range s.Biometrics {
		moves := make([]string, 0, len(b.Moves))
		for _, m := range b.Moves {
			moves = append(moves, asCode(m))
		}
		rec.Biometrics = append(rec.Biometrics, failedsession.Attempt{
			DecisionID: asID(b.DecisionID, unknown), Decision: asCode(b.Decision), Reason: asCode(b.Reason),
			ChallengeID: asID(b.ChallengeID, ""), Moves: moves, Liveness: b.Liveness, Match: b.Match, At: b.At.UTC(),
		})
	}
	for _, m := range s.Marks {
		rec.Steps = append(rec.Steps, failedsession.Mark{Step: m.Step.String(), At: m.At.UTC()})
	}
	failedsession.Redact(&rec, personalValues(s))
	return rec, true
}

// unknown stands for a provider's code or id outside the record's format:
// the fact that there was one, not its text, so the record is still made.
const unknown = "unknown"

func asCode(s string) string {
	if s == "" || failedsession.IsCode(s) {
		return s
	}
	return unknown
}

// asID keeps a valid id; empty becomes empty (nothing to say).
func asID(s, empty string) string {
	switch {
	case s == "":
		return empty
	case failedsession.IsID(s):
		return s
	}
	return unknown
}

// personalValues are the session's personal data the record must not hold.
func personalValues(s session.State) []string {
	sub := s.Ticket.Order.Subscriber
	p := []string{sub.IIN, sub.Surname, sub.Given, sub.Patronymic, sub.Phone}
	if d := s.Doc; d != nil {
		p = append(p, d.IIN, d.Surname, d.Given, d.Patronymic, d.BirthDate, d.DocNumber)
	}
	return p
}

// recordFailed hands the ended session's record to Config.Failed on its own
// goroutine: the ended screen never waits for it, and a failure is logged
// by its code only. Run waits for it when it stops (bounded by
// failedKeepTimeout), so a kiosk that shuts down keeps the record.
func (r *Runner) recordFailed(s session.State) {
	if r.cfg.Failed == nil {
		return
	}
	rec, ok := FailedRecord(s) // here, so the session's personal data stay on this goroutine
	if !ok {
		return
	}
	r.effects.Add(1)
	go func() {
		defer r.effects.Done()
		ctx, cancel := context.WithTimeout(context.Background(), failedKeepTimeout)
		defer cancel()
		log := r.cfg.Log.With().Str("record", rec.RecordID).Str("tid", rec.TicketID).Str("reason", rec.Reason).Logger()
		if err := r.cfg.Failed.Keep(ctx, rec); err != nil {
			log.Error().Str("event", "failed_session_not_queued").Str("code", failedCode(err)).
				Msg("the record of the ended session is not queued for head office")
			return
		}
		log.Info().Str("event", "failed_session_queued").Msg("record of the ended session queued for head office")
	}()
}

// failedCode names why a record was not queued, without its error's text.
func failedCode(err error) string {
	var p *failedsession.Problem
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return codeRecordTimeout
	case errors.As(err, &p), errors.Is(err, failedsession.ErrSign):
		return codeRecordInvalid
	}
	_, code := faultCodes(err)
	return code
}
