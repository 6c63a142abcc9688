package session

import (
	"slices"
	"time"

	"almatel.kz/signkiosk/app/provider"
)

// Langs are the kiosk's languages; kk is the default.
var langs = [...]string{"kk", "ru", "en"}

func validLang(l string) bool { return slices.Contains(langs[:], l) }

// clone copies the slices so a returned state never aliases its input. The
// password is shared on purpose: one buffer, so zeroing it at the end of a
// session reaches every snapshot that held it.
func (s State) clone() State {
	s.Consents = slices.Clone(s.Consents)
	s.Biometrics = slices.Clone(s.Biometrics)
	s.Marks = slices.Clone(s.Marks)
	return s
}

// active reports whether a session runs (between ticket and done/ended).
func (s *State) active() bool { return s.Step > StepIdle && s.Step < StepDone }

func (s *State) touch(now time.Time) {
	s.LastActivity = now
	s.IdleAsked, s.IdleEnds = false, time.Time{}
}

func (s *State) mark(st Step, now time.Time) { s.Marks = append(s.Marks, Mark{Step: st, At: now}) }

func (s *State) goTo(st Step, now time.Time) {
	s.Step = st
	s.Err = ""
	s.mark(st, now)
}

// call marks an operation in flight.
func (s State) call(op Op) State {
	s.Busy = op
	s.Retry, s.RetryAt = OpNone, time.Time{}
	return s
}

func consentOp(st Step, kind string) (Op, bool) {
	switch {
	case st == StepPrivacy && kind == provider.ConsentPrivacy:
		return OpPrivacy, true
	case st == StepEDSRules && kind == provider.ConsentEDSRules:
		return OpEDSRules, true
	}
	return OpNone, false
}

func consentEffect(s State, c Consent) Effect {
	return DoConsent{Gen: s.Gen, SessionID: s.ProviderSession, Req: provider.ConsentRequest{
		Kind: c.Kind, TextSHA256: c.TextSHA256, Lang: c.Lang, AcceptedAt: c.AcceptedAt,
	}}
}

// result is implemented by the events that answer an effect.
type result interface{ gen() uint64 }

func (e Created) gen() uint64           { return e.Gen }
func (e CodeAccepted) gen() uint64      { return e.Gen }
func (e Resent) gen() uint64            { return e.Gen }
func (e ConsentRecorded) gen() uint64   { return e.Gen }
func (e BiometricJudged) gen() uint64   { return e.Gen }
func (e CertificateIssued) gen() uint64 { return e.Gen }
func (e SignedDoc) gen() uint64         { return e.Gen }
func (e Sealed) gen() uint64            { return e.Gen }
func (e Stored) gen() uint64            { return e.Gen }
func (e Failed) gen() uint64            { return e.Gen }

// resultOp is the operation an answer belongs to.
func resultOp(ev Event) Op {
	switch e := ev.(type) {
	case Created:
		return OpCreate
	case CodeAccepted:
		return OpCode
	case Resent:
		return OpResend
	case ConsentRecorded:
		if e.Kind == provider.ConsentPrivacy {
			return OpPrivacy
		}
		return OpEDSRules
	case BiometricJudged:
		return OpBiometrics
	case CertificateIssued:
		return OpCertificate
	case SignedDoc:
		return OpSign
	case Sealed:
		return OpSeal
	case Stored:
		return OpStore
	}
	return OpNone
}

// wipeBytes zeroes a secret we own. Go strings cannot be zeroed: the runner
// and UI drop every reference to them instead.
func wipeBytes(b []byte) {
	for i := range b {
		b[i] = 0
	}
}
