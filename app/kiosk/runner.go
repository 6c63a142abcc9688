package kiosk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/camera"
)

// Config wires a runner. Every part is required except Tick, Storage and
// StorageEvery.
type Config struct {
	Machine  session.Machine
	Now      func() time.Time
	Log      zerolog.Logger
	KioskID  string // named to the provider, whose challenge answers this kiosk's device signs
	Provider Provider
	Camera   Capturer
	Attester Attester
	Tickets  TicketGate
	Store    Store
	Docs     Documents
	Sealer   Sealer
	Tick     time.Duration // how often the clocks run; 1 s when zero
	// Storage is looked at every StorageEvery (30 s when zero, on the
	// Now clock) and after each store; nil: never.
	Storage      StorageProbe
	StorageEvery time.Duration
	// Failed keeps the PII-free record of each session that ends before
	// signing, for head office (failedsession.go); nil: none.
	Failed FailedSessions
}

// Runner owns the current session. Events go in through Dispatch (from any
// goroutine); listeners hear every new state on the runner's goroutine and
// must hand UI work to the UI thread themselves.
type Runner struct {
	cfg    Config
	events chan session.Event
	done   chan struct{}

	mu        sync.Mutex
	state     session.State
	listeners []func(session.State)

	// ctx of the running session's effects; cancelled by its wipe.
	sessCtx    context.Context
	sessCancel context.CancelFunc
	effects    sync.WaitGroup

	probeAt time.Time   // the next storage look (runner goroutine only)
	probing atomic.Bool // one look at a time
	// Storage faults met so far; under faultMu with their dispatch, so a
	// look that began before a write failed cannot clear its fault.
	faultMu sync.Mutex
	faults  uint64
}

// New makes a runner in the idle state.
func New(cfg Config) *Runner {
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second
	}
	if cfg.StorageEvery <= 0 {
		cfg.StorageEvery = 30 * time.Second
	}
	return &Runner{cfg: cfg, events: make(chan session.Event, 64), done: make(chan struct{}),
		state: session.State{Lang: "kk", DefaultLang: "kk"}}
}

// SetLang switches the language on the screen now (demo drivers, tests).
func (r *Runner) SetLang(lang string) { r.Dispatch(session.SetLang{Lang: lang}) }

// SetDefaultLang sets the kiosk's own language (config, the staff menu):
// the idle screen's, which it returns to after every session.
func (r *Runner) SetDefaultLang(lang string) { r.Dispatch(session.SetDefaultLang{Lang: lang}) }

// Subscribe adds a listener for state changes.
func (r *Runner) Subscribe(fn func(session.State)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.listeners = append(r.listeners, fn)
}

// State is a snapshot of the current session.
func (r *Runner) State() session.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// Dispatch queues an event. It never blocks the caller for long: after the
// runner stopped, events are dropped.
func (r *Runner) Dispatch(ev session.Event) {
	select {
	case r.events <- ev:
	case <-r.done:
	}
}

// Scan admits a ticket text read by the camera or from a file. The check
// (signature, expiry, office, reuse) runs off the caller's goroutine.
func (r *Runner) Scan(text string) {
	st := r.State()
	if st.Step != session.StepIdle {
		return
	}
	if st.Storage != "" {
		// Refused before the ledger sees it: the ticket stays good for
		// when the kiosk takes sessions again.
		r.Dispatch(session.TicketRejected{Code: st.Storage})
		return
	}
	go func() {
		p, err := r.cfg.Tickets.Admit(context.Background(), text, r.cfg.Now())
		if fault := storageCode(err); fault != "" {
			r.storageFault(fault, err)
			r.Dispatch(session.TicketRejected{Code: fault})
			return
		}
		if err != nil {
			code := TicketErrorCode(err)
			r.cfg.Log.Info().Str("event", "ticket_rejected").Str("code", code).Msg("ticket refused")
			r.Dispatch(session.TicketRejected{Code: code})
			return
		}
		r.cfg.Log.Info().Str("event", "ticket_accepted").Str("tid", p.TID).Str("office", p.Office).
			Str("staff", p.Staff).Str("order", p.Order.ID).Msg("session starts")
		r.Dispatch(session.TicketAccepted{Ticket: p})
	}()
}

// Run processes events until ctx ends, then cancels the session's calls and
// waits for them.
func (r *Runner) Run(ctx context.Context) {
	r.newSessionCtx()
	tick := time.NewTicker(r.cfg.Tick)
	defer func() {
		tick.Stop()
		close(r.done)
		r.sessCancel()
		r.effects.Wait()
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-r.events:
			r.apply(ev)
		case <-tick.C:
			r.apply(session.Tick{})
			r.lookAtStorage(ctx)
		}
	}
}

func (r *Runner) newSessionCtx() {
	r.sessCtx, r.sessCancel = context.WithCancel(context.Background())
}

// apply runs one event through the machine on the runner's goroutine.
func (r *Runner) apply(ev session.Event) {
	r.mu.Lock()
	prev := r.state
	next, effects := r.cfg.Machine.Next(prev, ev, r.cfg.Now())
	r.state = next
	listeners := r.listeners
	r.mu.Unlock()

	for _, e := range effects {
		r.run(e)
	}
	if changed(prev, next) {
		for _, fn := range listeners {
			fn(next)
		}
	}
}

// changed skips notifications for ticks that changed nothing visible.
func changed(a, b session.State) bool {
	return a.Step != b.Step || a.Busy != b.Busy || a.Retry != b.Retry || a.Err != b.Err || a.Storage != b.Storage ||
		a.IdleAsked != b.IdleAsked || a.Lang != b.Lang || a.Gen != b.Gen ||
		a.CodeAttemptsLeft != b.CodeAttemptsLeft || a.ResendsLeft != b.ResendsLeft ||
		a.BioAttemptsLeft != b.BioAttemptsLeft || !a.ResendAt.Equal(b.ResendAt)
}

// run starts one effect. Provider calls run on their own goroutine with the
// session's context and come back as events.
func (r *Runner) run(e session.Effect) {
	switch e := e.(type) {
	case session.DoAudit:
		r.audit(e.Snapshot)
		return
	case session.DoWipe:
		// In-flight calls of that session stop here; any answer that still
		// arrives carries an old Gen and the machine drops it.
		r.sessCancel()
		r.newSessionCtx()
		return
	}
	ctx := r.sessCtx
	r.effects.Add(1)
	go func() {
		defer r.effects.Done()
		ev := r.execute(ctx, e)
		if ev != nil && ctx.Err() == nil {
			r.Dispatch(ev)
		}
	}()
}

// execute performs a call and turns its outcome into an event.
func (r *Runner) execute(ctx context.Context, e session.Effect) session.Event {
	p := r.cfg.Provider
	switch e := e.(type) {
	case session.DoCreate:
		req := e.Req
		req.KioskID = r.cfg.KioskID
		resp, err := p.CreateSession(ctx, req)
		if err != nil {
			return r.failed(e.Gen, session.OpCreate, err)
		}
		return session.Created{Gen: e.Gen, Resp: resp}
	case session.DoCode:
		doc, err := p.SubmitCode(ctx, e.SessionID, e.Code)
		if err != nil {
			return r.failed(e.Gen, session.OpCode, err)
		}
		return session.CodeAccepted{Gen: e.Gen, Doc: doc}
	case session.DoResend:
		if err := p.ResendCode(ctx, e.SessionID); err != nil {
			return r.failed(e.Gen, session.OpResend, err)
		}
		return session.Resent{Gen: e.Gen}
	case session.DoConsent:
		op := session.OpPrivacy
		if e.Req.Kind == provider.ConsentEDSRules {
			op = session.OpEDSRules
		}
		if err := p.Consent(ctx, e.SessionID, e.Req); err != nil {
			return r.failed(e.Gen, op, err)
		}
		return session.ConsentRecorded{Gen: e.Gen, Kind: e.Req.Kind}
	case session.DoBiometrics:
		return r.biometrics(ctx, e)
	case session.DoCertificate:
		resp, err := p.Certificate(ctx, e.SessionID, e.Password)
		if err != nil {
			return r.failed(e.Gen, session.OpCertificate, err)
		}
		return session.CertificateIssued{Gen: e.Gen, Resp: resp}
	case session.DoSign:
		return r.sign(ctx, e)
	case session.DoSeal:
		return r.seal(ctx, e)
	case session.DoStore:
		rc, err := r.cfg.Store.Store(ctx, e.Snapshot)
		if err == nil && r.cfg.Storage != nil {
			err = r.cfg.Storage.InPlace() // kept in a removed file is not kept
		}
		if err != nil {
			fault, code := faultCodes(err)
			r.cfg.Log.Error().Err(err).Str("event", "store_failed").Str("code", code).Str("tid", e.Snapshot.Ticket.TID).
				Msg("signed session not stored; the signature is kept in memory, retry offered")
			if fault != "" {
				r.storageFault(fault, err)
			}
			return session.Failed{Gen: e.Gen, Op: session.OpStore, Code: code}
		}
		r.cfg.Log.Info().Str("event", "session_signed").Str("tid", e.Snapshot.Ticket.TID).
			Str("package", rc.PackageID).Dur("took_ms", r.cfg.Now().Sub(e.Snapshot.Started)).Msg("signed and stored")
		return session.Stored{Gen: e.Gen, Receipt: rc}
	}
	return nil
}

// biometrics runs one attempt: the provider's challenge, its moves acted
// out in front of the camera, the frames signed with the device key and
// submitted for the provider's judgement.
func (r *Runner) biometrics(ctx context.Context, e session.DoBiometrics) session.Event {
	ch, err := r.cfg.Provider.BiometricChallenge(ctx, e.SessionID)
	if err != nil {
		return r.failed(e.Gen, session.OpBiometrics, err)
	}
	frames, err := r.cfg.Camera.Capture(ctx, ch.Moves)
	if errors.Is(err, camera.ErrBadChallenge) {
		r.cfg.Log.Error().Err(err).Str("event", "bad_challenge").Msg("the provider's challenge cannot be performed")
		return session.Failed{Gen: e.Gen, Op: session.OpBiometrics, Code: provider.CodeInternal}
	}
	if err != nil || len(frames) == 0 {
		code := captureCode(err)
		r.cfg.Log.Warn().Err(err).Str("event", "capture_failed").Str("code", code).Msg("no frames captured")
		return session.Failed{Gen: e.Gen, Op: session.OpBiometrics, Code: code}
	}
	req, err := r.cfg.Attester.Attest(e.SessionID, ch, frames)
	if err != nil {
		clear(frames)
		r.cfg.Log.Error().Err(err).Str("event", "attest_failed").Msg("frames not signed")
		return session.Failed{Gen: e.Gen, Op: session.OpBiometrics, Code: provider.CodeInternal}
	}
	resp, err := r.cfg.Provider.Biometrics(ctx, e.SessionID, req)
	clear(frames) // frames live only as long as the call
	clear(req.Frames)
	if err != nil {
		return r.failed(e.Gen, session.OpBiometrics, err)
	}
	r.cfg.Log.Info().Str("event", "biometric_decision").Str("decision", resp.Decision).Str("reason", resp.Reason).
		Str("decision_id", resp.DecisionID).Int("attempts_left", resp.AttemptsLeft).Msg("provider judged attempt")
	return session.BiometricJudged{Gen: e.Gen, Moves: ch.Moves, Resp: resp}
}

func (r *Runner) sign(ctx context.Context, e session.DoSign) session.Event {
	s := e.Snapshot
	doc, err := r.cfg.Docs.Render(s)
	if err != nil {
		r.cfg.Log.Error().Err(err).Str("event", "render_failed").Msg("document not rendered")
		return session.Failed{Gen: e.Gen, Op: session.OpSign, Code: provider.CodeInternal}
	}
	sum := sha256.Sum256(doc)
	digest := hex.EncodeToString(sum[:])
	resp, err := r.cfg.Provider.Sign(ctx, s.ProviderSession, provider.SignRequest{DocumentSHA256: digest, Password: s.Password()})
	if err != nil {
		return r.failed(e.Gen, session.OpSign, err)
	}
	return session.SignedDoc{Gen: e.Gen, Sig: session.Signature{
		Document: doc, DocumentSHA256: digest, CMS: resp.CMS,
		Certificate: s.Cert.Certificate, Chain: s.Cert.Chain, SignedAt: resp.SignedAt,
	}}
}

// seal has the national CA's time stamp and OCSP proof put into the
// signature. A failure is logged by its code only; the machine decides.
func (r *Runner) seal(ctx context.Context, e session.DoSeal) session.Event {
	sealed, genTime, err := r.cfg.Sealer.Seal(ctx, e.CMS, e.Document)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil
		}
		code := sealCode(err)
		r.cfg.Log.Warn().Err(err).Str("event", "seal_failed").Str("code", code).Msg("signature not yet long-term")
		return session.Failed{Gen: e.Gen, Op: session.OpSeal, Code: code}
	}
	r.cfg.Log.Info().Str("event", "sealed").Time("gen_time", genTime).Msg("signature time-stamped with OCSP proof")
	return session.Sealed{Gen: e.Gen, CMS: sealed, GenTime: genTime}
}

// failed logs a call's failure by its code only (no request data) and makes
// the event the machine decides on.
func (r *Runner) failed(gen uint64, op session.Op, err error) session.Event {
	code := provider.ErrorCode(err)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	var pe *provider.Error
	var left *int
	if errors.As(err, &pe) {
		left = pe.AttemptsLeft
	}
	r.cfg.Log.Warn().Str("event", "provider_error").Str("op", op.String()).Str("code", code).Msg("provider call failed")
	return session.Failed{Gen: gen, Op: op, Code: code, AttemptsLeft: left}
}

// audit writes the one line an unfinished session leaves: no personal data.
func (r *Runner) audit(s session.State) {
	last := session.StepWelcome
	if n := len(s.Marks); n > 0 {
		last = s.Marks[n-1].Step
	}
	r.cfg.Log.Info().Str("event", "session_ended").Str("tid", s.Ticket.TID).Str("office", s.Ticket.Office).
		Str("staff", s.Ticket.Staff).Str("order", s.Ticket.Order.ID).Str("reason", string(s.Reason)).
		Str("last_step", last.String()).Str("err", s.Err).Int("biometric_attempts", len(s.Biometrics)).
		Dur("took_ms", s.EndedAt.Sub(s.Started)).Msg("session ended before signing")
	r.recordFailed(s)
}

// String for debugging; never includes personal data.
func (r *Runner) String() string {
	s := r.State()
	return fmt.Sprintf("runner{step=%s gen=%d}", s.Step, s.Gen)
}

// captureCode is the session code for a failed capture: the camera's own
// (no face, camera gone, …) when its error carries one, else "no frames".
func captureCode(err error) string {
	var c CaptureCoder
	if errors.As(err, &c) && slices.Contains(session.CaptureCodes(), c.CaptureCode()) {
		return c.CaptureCode()
	}
	return session.ErrNoFrames
}
