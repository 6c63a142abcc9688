package session

import (
	"slices"
	"time"

	"almatel.kz/signkiosk/app/provider"
)

// Machine applies events to a state under a set of limits.
type Machine struct {
	Limits Limits
}

// Next is the whole session logic: a pure function of (state, event, now).
// It never mutates s, except that ending a session zeroes the password buffer
// every snapshot shares; the returned state is the new one.
func (m Machine) Next(s State, ev Event, now time.Time) (State, []Effect) {
	s = s.clone()
	switch e := ev.(type) {
	case TicketAccepted:
		return m.start(s, e, now)
	case TicketRejected:
		if s.Step == StepIdle {
			s.Err = e.Code
		}
		return s, nil
	case SetLang:
		if validLang(e.Lang) {
			s.Lang = e.Lang
			s.touch(now)
		}
		return s, nil
	case SetDefaultLang:
		if validLang(e.Lang) {
			s.DefaultLang = e.Lang
			if s.Step == StepIdle {
				s.Lang = e.Lang
			}
		}
		return s, nil
	case Activity:
		if s.active() {
			s.touch(now)
		}
		return s, nil
	case Tick:
		return m.tick(s, now)
	case StorageChecked:
		s.Storage = e.Fault
		if e.Fault == "" && slices.Contains(StorageCodes(), s.Err) {
			s.Err = "" // the refusal it caused no longer holds
		}
		return s, nil
	case Cancel:
		if !s.active() || s.Signed != nil {
			return s, nil // a signature not yet stored is never thrown away
		}
		return m.end(s, ReasonCancelled, now)
	case Finish:
		if s.Step == StepDone || s.Step == StepEnded {
			return m.idle(s)
		}
		return s, nil
	case Retry:
		return m.retry(s, now)
	}
	if r, ok := ev.(result); ok {
		if r.gen() != s.Gen || !s.active() {
			return s, nil // an answer for a session that is gone
		}
		return m.result(s, ev, now)
	}
	if s.Busy != OpNone || !s.active() {
		return s, nil // one call at a time; input while waiting is ignored
	}
	s.touch(now)
	s.Err = ""
	return m.input(s, ev, now)
}

func (m Machine) start(s State, e TicketAccepted, now time.Time) (State, []Effect) {
	if s.Step != StepIdle {
		return s, nil // a second ticket while a session runs is ignored
	}
	if s.Storage != "" {
		s.Err = s.Storage // its package could not be kept: no session
		return s, nil
	}
	lang := e.Ticket.Order.Lang
	if !validLang(lang) {
		lang = s.Lang
	}
	if !validLang(lang) {
		lang = "kk"
	}
	n := State{
		Gen:              s.Gen + 1,
		Step:             StepWelcome,
		Lang:             lang,
		DefaultLang:      s.DefaultLang,
		Storage:          s.Storage,
		Ticket:           e.Ticket,
		CodeAttemptsLeft: m.Limits.CodeAttempts,
		ResendsLeft:      m.Limits.CodeResends,
		BioAttemptsLeft:  m.Limits.BiometricAttempts,
		Started:          now,
		LastActivity:     now,
	}
	n.mark(StepWelcome, now)
	return n, nil
}

// input handles the subscriber's actions on each screen.
func (m Machine) input(s State, ev Event, now time.Time) (State, []Effect) {
	switch e := ev.(type) {
	case Begin:
		if s.Step == StepWelcome {
			sub := s.Ticket.Order.Subscriber
			return s.call(OpCreate), []Effect{DoCreate{Gen: s.Gen, Req: provider.CreateSessionRequest{
				OrderID: s.Ticket.Order.ID, IIN: sub.IIN, Phone: sub.Phone, Lang: s.Lang,
				Surname: sub.Surname, Given: sub.Given, Patronymic: sub.Patronymic,
			}}}
		}
	case CodeEntered:
		if s.Step != StepCode {
			break
		}
		if !validCode(e.Code) {
			s.Err = ErrCodeFormat
			return s, nil
		}
		if s.CodeAttemptsLeft <= 0 {
			s.Err = provider.CodeTooMany
			return s, nil
		}
		return s.call(OpCode), []Effect{DoCode{Gen: s.Gen, SessionID: s.ProviderSession, Code: e.Code}}
	case ResendCode:
		if s.Step != StepCode {
			break
		}
		switch {
		case s.ResendsLeft <= 0:
			s.Err = ErrNoResends
			return s, nil
		case now.Before(s.ResendAt):
			s.Err = ErrResendTooSoon
			return s, nil
		}
		return s.call(OpResend), []Effect{DoResend{Gen: s.Gen, SessionID: s.ProviderSession}}
	case ReviewAccepted:
		if s.Step == StepReview {
			s.goTo(StepPrivacy, now)
		}
	case ConsentAccepted:
		op, ok := consentOp(s.Step, e.Kind)
		if !ok || len(e.TextSHA256) != 64 {
			break
		}
		c := Consent{Kind: e.Kind, TextSHA256: e.TextSHA256, Lang: s.Lang, AcceptedAt: now}
		s.Consents = append(s.Consents, c)
		return s.call(op), []Effect{consentEffect(s, c)}
	case CaptureStart:
		if s.Step != StepBiometrics || s.BioAttemptsLeft <= 0 {
			break
		}
		return s.call(OpBiometrics), []Effect{DoBiometrics{Gen: s.Gen, SessionID: s.ProviderSession}}
	case PasswordEntered:
		if s.Step != StepPassword {
			break
		}
		if !CheckPassword(e.Password).OK() {
			s.Err = ErrPasswordRule
			return s, nil
		}
		if e.Password != e.Confirm {
			s.Err = ErrPasswordConfirm
			return s, nil
		}
		s.password = []byte(e.Password)
		s.goTo(StepSigning, now)
		return s.call(OpCertificate), []Effect{DoCertificate{Gen: s.Gen, SessionID: s.ProviderSession, Password: e.Password}}
	}
	return s, nil
}

// result applies a provider answer for the current session.
func (m Machine) result(s State, ev Event, now time.Time) (State, []Effect) {
	if f, ok := ev.(Failed); ok {
		return m.failed(s, f, now)
	}
	op := resultOp(ev)
	if op != s.Busy {
		return s, nil // not the call we are waiting for
	}
	s.Busy, s.Retry, s.Err = OpNone, OpNone, ""
	s.touch(now) // waiting on the provider is not idling
	switch e := ev.(type) {
	case Created:
		s.ProviderSession = e.Resp.SessionID
		s.ProviderExpires = e.Resp.ExpiresAt
		s.ResendAt = now.Add(m.Limits.ResendCooldown)
		s.CodeSent = 1
		s.goTo(StepCode, now)
	case CodeAccepted:
		doc := e.Doc
		s.Doc = &doc
		s.goTo(StepReview, now)
	case Resent:
		s.ResendsLeft--
		s.CodeSent++
		s.CodeAttemptsLeft = m.Limits.CodeAttempts
		s.ResendAt = now.Add(m.Limits.ResendCooldown)
	case ConsentRecorded:
		if e.Kind == provider.ConsentPrivacy {
			s.goTo(StepBiometrics, now)
		} else {
			s.goTo(StepPassword, now)
		}
	case BiometricJudged:
		s.Biometrics = append(s.Biometrics, Biometric{
			DecisionID: e.Resp.DecisionID, Decision: e.Resp.Decision,
			Liveness: e.Resp.Liveness, Match: e.Resp.Match, Reason: e.Resp.Reason,
			ChallengeID: e.Resp.ChallengeID, Moves: e.Moves, At: now,
		})
		s.BioAttemptsLeft = min(s.BioAttemptsLeft-1, e.Resp.AttemptsLeft)
		switch {
		case e.Resp.Decision == provider.DecisionPass:
			s.goTo(StepEDSRules, now)
		case e.Resp.Decision == provider.DecisionFail || s.BioAttemptsLeft <= 0:
			return m.end(s, ReasonBiometricFailed, now)
		default:
			s.Err = e.Resp.Reason
			if s.Err == "" {
				s.Err = provider.DecisionRetry
			}
		}
	case CertificateIssued:
		resp := e.Resp
		s.Cert = &resp
		return s.call(OpSign), []Effect{DoSign{Gen: s.Gen, Snapshot: s.clone()}}
	case SignedDoc:
		sig := e.Sig
		s.Signed = &sig
		wipeBytes(s.password)
		s.password = nil // the signature exists: the password has done its work
		return s.call(OpSeal), []Effect{DoSeal{Gen: s.Gen, CMS: sig.CMS, Document: sig.Document}}
	case Sealed:
		sig := *s.Signed
		sig.CMS, sig.TimeStamped = e.CMS, e.GenTime
		s.Signed = &sig
		s.SealAttempts = 0
		return s.call(OpStore), []Effect{DoStore{Gen: s.Gen, Snapshot: s.clone()}}
	case Stored:
		rc := e.Receipt
		s.Receipt = &rc
		s.goTo(StepDone, now)
	}
	return s, nil
}

// failed decides between "try again" and "this session is over".
func (m Machine) failed(s State, f Failed, now time.Time) (State, []Effect) {
	if f.Op != s.Busy {
		return s, nil
	}
	s.Busy = OpNone
	s.touch(now)
	s.Err = f.Code
	if f.Op == OpStore {
		// The signature is in memory: never drop it on a disk error,
		// whatever the code says. A full or read-only disk can clear
		// without anyone at the kiosk, so those retry by themselves.
		s.Retry = OpStore
		if f.Code == ErrStoreDiskFull || f.Code == ErrStoreReadOnly {
			s.RetryAt = now.Add(m.storeRetry())
		}
		return s, nil
	}
	if f.Op == OpSeal {
		return m.sealFailed(s, f, now)
	}
	switch f.Code {
	case provider.CodeUnavailable, provider.CodeTimeout, provider.CodeInternal:
		if f.Op == OpCode || f.Op == OpResend {
			return s, nil // the subscriber simply enters or asks again
		}
		s.Retry = f.Op
		return s, nil
	case provider.CodeSessionExpired, provider.CodeCodeExpired:
		if f.Code == provider.CodeCodeExpired && f.Op == OpCode {
			s.CodeAttemptsLeft = 0 // a new SMS is needed
			if s.ResendsLeft > 0 {
				return s, nil
			}
			return m.end(s, ReasonCodeAttempts, now)
		}
		return m.end(s, ReasonProviderExpired, now)
	case provider.CodeWrongCode:
		s.CodeAttemptsLeft--
		if f.AttemptsLeft != nil {
			s.CodeAttemptsLeft = min(s.CodeAttemptsLeft, *f.AttemptsLeft)
		}
		if s.CodeAttemptsLeft <= 0 && s.ResendsLeft <= 0 {
			return m.end(s, ReasonCodeAttempts, now)
		}
		return s, nil
	case provider.CodeTooMany:
		if f.Op == OpCode || f.Op == OpResend {
			if f.Op == OpCode {
				s.CodeAttemptsLeft = 0
			}
			if s.ResendsLeft > 0 && f.Op == OpCode {
				return s, nil
			}
			return m.end(s, ReasonCodeAttempts, now)
		}
		if f.Op == OpBiometrics {
			return m.end(s, ReasonBiometricFailed, now)
		}
	case provider.CodeBiometricFailed:
		return m.end(s, ReasonBiometricFailed, now)
	case provider.CodeWeakPassword, provider.CodeWrongPassword:
		if f.Op == OpCertificate || f.Op == OpSign {
			// The provider's rule or key refused it: choose the password again.
			wipeBytes(s.password)
			s.password = nil
			s.Cert = nil
			s.goTo(StepPassword, now)
			s.Err = f.Code
			return s, nil
		}
	}
	if f.Op == OpBiometrics && f.Code == provider.CodeBadRequest {
		s.Err = ErrNoFrames // nothing usable captured: try again
		return s, nil
	}
	if f.Op == OpBiometrics && slices.Contains(ChallengeRefusals(), f.Code) {
		s.Err = f.Code // the provider refused that submission, not the face: a new challenge, no attempt spent
		return s, nil
	}
	if f.Op == OpBiometrics && slices.Contains(CaptureCodes(), f.Code) {
		s.Err = f.Code // a local capture failure: no attempt spent, try again
		return s, nil
	}
	return m.end(s, ReasonProviderRefused, now)
}

// retry repeats a call that failed for transport reasons.
func (m Machine) retry(s State, now time.Time) (State, []Effect) {
	if s.Retry == OpNone || s.Busy != OpNone || !s.active() {
		return s, nil
	}
	op := s.Retry
	s.Retry, s.Err, s.RetryAt = OpNone, "", time.Time{}
	s.touch(now)
	switch op {
	case OpCreate:
		return m.input(s, Begin{}, now)
	case OpPrivacy, OpEDSRules:
		c := s.Consents[len(s.Consents)-1]
		return s.call(op), []Effect{consentEffect(s, c)}
	case OpBiometrics:
		return s.call(op), []Effect{DoBiometrics{Gen: s.Gen, SessionID: s.ProviderSession}}
	case OpCertificate:
		return s.call(op), []Effect{DoCertificate{Gen: s.Gen, SessionID: s.ProviderSession, Password: string(s.password)}}
	case OpSign:
		return s.call(op), []Effect{DoSign{Gen: s.Gen, Snapshot: s.clone()}}
	case OpStore:
		return s.call(op), []Effect{DoStore{Gen: s.Gen, Snapshot: s.clone()}}
	case OpSeal:
		return s.call(op), []Effect{DoSeal{Gen: s.Gen, CMS: s.Signed.CMS, Document: s.Signed.Document}}
	}
	return s, nil
}

// tick runs the clocks: absolute limit, idle prompt, idle end, screen holds.
func (m Machine) tick(s State, now time.Time) (State, []Effect) {
	switch {
	case s.Step == StepDone:
		if !now.Before(s.LastActivity.Add(m.Limits.DoneHold)) {
			return m.idle(s)
		}
		return s, nil
	case s.Step == StepEnded:
		if !now.Before(s.EndedAt.Add(m.Limits.EndedHold)) {
			return m.idle(s)
		}
		return s, nil
	case s.active() && (s.Retry == OpStore || s.Retry == OpSeal) && !s.RetryAt.IsZero() && !now.Before(s.RetryAt):
		return m.retry(s, now)
	case !s.active(), s.Signed != nil:
		return s, nil // signed but not yet stored: no clock may drop it
	}
	if !now.Before(s.Started.Add(m.Limits.Absolute)) {
		return m.end(s, ReasonSessionTimeout, now)
	}
	if s.Busy != OpNone {
		return s, nil // waiting on the provider, not on the subscriber
	}
	idleFor := now.Sub(s.LastActivity)
	switch {
	case idleFor >= m.Limits.Idle+m.Limits.IdleWarning:
		return m.end(s, ReasonIdle, now)
	case idleFor >= m.Limits.Idle:
		s.IdleAsked = true
		s.IdleEnds = s.LastActivity.Add(m.Limits.Idle + m.Limits.IdleWarning)
	}
	return s, nil
}

// sealFailed keeps a signature that could not be sealed: a revoked
// certificate ends the session (no valid signature can come of it); any
// other failure is the national CA's services being away, so the machine
// tries again by itself, waiting longer each time. No clock drops the
// session meanwhile (tick: s.Signed is set).
func (m Machine) sealFailed(s State, f Failed, now time.Time) (State, []Effect) {
	if f.Code == ErrCertRevoked {
		return m.end(s, ReasonCertRevoked, now)
	}
	if !slices.Contains(SealCodes(), f.Code) {
		s.Err = ErrSealFailed
	}
	s.SealAttempts++
	s.Retry = OpSeal
	s.RetryAt = now.Add(m.sealBackoff(s.SealAttempts))
	return s, nil
}

// sealBackoff is the wait after the n-th failed seal: SealRetry doubled
// n-1 times, at most SealRetryMax.
func (m Machine) sealBackoff(n int) time.Duration {
	d, most := m.Limits.SealRetry, m.Limits.SealRetryMax
	if d <= 0 {
		d = 2 * time.Second
	}
	if most <= 0 {
		most = 60 * time.Second
	}
	for i := 1; i < n && d < most; i++ {
		d *= 2
	}
	return min(d, most)
}

// storeRetry is how often a store on a full or read-only disk is retried.
func (m Machine) storeRetry() time.Duration {
	if m.Limits.StoreRetry > 0 {
		return m.Limits.StoreRetry
	}
	return 30 * time.Second
}

// end stops the session: secrets and personal data go at once; only the
// reason, the gen and the PII-free audit remain until the screen clears.
func (m Machine) end(s State, why Reason, now time.Time) (State, []Effect) {
	audit := s.clone()
	audit.Reason = why
	audit.EndedAt = now
	n := State{Gen: s.Gen, Step: StepEnded, Lang: s.Lang, DefaultLang: s.DefaultLang, Storage: s.Storage, Reason: why, EndedAt: now, Err: s.Err}
	wipeBytes(s.password)
	return n, []Effect{DoAudit{Snapshot: audit}, DoWipe{Gen: s.Gen}}
}

// idle returns to the idle screen with nothing of the session left, in
// the kiosk's own language: the next subscriber is not greeted in the last
// one's.
func (m Machine) idle(s State) (State, []Effect) {
	wipeBytes(s.password)
	var eff []Effect
	if s.Step != StepEnded {
		eff = []Effect{DoWipe{Gen: s.Gen}}
	}
	lang := s.Lang
	if validLang(s.DefaultLang) {
		lang = s.DefaultLang
	}
	return State{Gen: s.Gen, Step: StepIdle, Lang: lang, DefaultLang: s.DefaultLang, Storage: s.Storage}, eff
}
