package session

import "almatel.kz/signkiosk/app/provider"

// Effect is work the runner does outside the machine; its result comes back
// as an event carrying Gen.
type Effect interface{ effect() }

type (
	// DoCreate opens the provider session (the SMS from 1414 goes out).
	DoCreate struct {
		Gen uint64
		Req provider.CreateSessionRequest
	}
	// DoCode submits the eGov code.
	DoCode struct {
		Gen       uint64
		SessionID string
		Code      string
	}
	// DoResend asks for a new code.
	DoResend struct {
		Gen       uint64
		SessionID string
	}
	// DoConsent records a consent with the provider.
	DoConsent struct {
		Gen       uint64
		SessionID string
		Req       provider.ConsentRequest
	}
	// DoBiometrics asks the provider for a liveness challenge, captures
	// its moves, and submits the signed frames.
	DoBiometrics struct {
		Gen       uint64
		SessionID string
	}
	// DoCertificate has the certificate issued under the password.
	DoCertificate struct {
		Gen       uint64
		SessionID string
		Password  string
	}
	// DoSign renders the document from the snapshot and has it signed.
	DoSign struct {
		Gen      uint64
		Snapshot State
	}
	// DoSeal makes the signature long-term: adds the time stamp and the
	// OCSP proof the CMS lacks (a provider may already have put them in).
	DoSeal struct {
		Gen      uint64
		CMS      []byte
		Document []byte // what CMS signs, for the check of the result
	}
	// DoStore stores the signed session durably; Done shows only after it
	// succeeds, so nothing shown as signed can be lost.
	DoStore struct {
		Gen      uint64
		Snapshot State
	}
	// DoAudit writes the PII-free audit line of a session that ended.
	DoAudit struct{ Snapshot State }
	// DoWipe tells the runner to drop everything it holds for the session
	// (frames, camera buffers, screens).
	DoWipe struct{ Gen uint64 }
)

func (DoCreate) effect()      {}
func (DoCode) effect()        {}
func (DoResend) effect()      {}
func (DoConsent) effect()     {}
func (DoBiometrics) effect()  {}
func (DoCertificate) effect() {}
func (DoSign) effect()        {}
func (DoSeal) effect()        {}
func (DoStore) effect()       {}
func (DoAudit) effect()       {}
func (DoWipe) effect()        {}
