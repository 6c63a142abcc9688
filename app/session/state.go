// Package session holds the kiosk's signing session as a pure state machine:
// Next(state, event, now) returns the new state and the effects to run. No I/O,
// no goroutines, no Fyne: the runner in app/kiosk executes effects and feeds
// their results back as events.
package session

import (
	"time"

	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/ticket"
)

// Step is where the subscriber is in the procedure.
type Step int

// The steps, in the order of DESIGN.md ("The session").
const (
	StepIdle       Step = iota // waiting for a staff ticket
	StepWelcome                // ticket accepted, language choice, "begin"
	StepCode                   // eGov code from 1414 (procedure steps 1 and 5)
	StepReview                 // the application (step 2)
	StepPrivacy                // privacy policy consent (steps 3 and 4)
	StepBiometrics             // camera (step 6)
	StepEDSRules               // EDS issuance rules consent (step 7)
	StepPassword               // EDS password (step 8)
	StepSigning                // certificate + signature
	StepDone                   // signed: download QR
	StepEnded                  // stopped early; Reason says why
)

var stepNames = [...]string{"idle", "welcome", "code", "review", "privacy", "biometrics", "eds_rules", "password", "signing", "done", "ended"}

func (s Step) String() string {
	if s < 0 || int(s) >= len(stepNames) {
		return "unknown"
	}
	return stepNames[s]
}

// Number is the "step N of 7" shown to the subscriber: code … password
// and done are the seven screens of the procedure (0 outside them). The
// signing wait continues the password step (it follows "Create" and is
// often over before anyone reads it), so it keeps the password's number
// and the count never jumps.
func (s Step) Number() int {
	switch {
	case s >= StepCode && s <= StepPassword:
		return int(s - StepCode + 1)
	case s == StepSigning:
		return StepPassword.Number()
	case s == StepDone:
		return StepsTotal
	}
	return 0
}

// StepsTotal is how many numbered steps the subscriber goes through.
const StepsTotal = 7

// Reason is why a session ended early. Stable codes: the UI translates them
// and the audit line records them.
type Reason string

// End reasons.
const (
	ReasonCancelled       Reason = "cancelled"
	ReasonIdle            Reason = "idle_timeout"
	ReasonSessionTimeout  Reason = "session_timeout"
	ReasonCodeAttempts    Reason = "code_attempts"
	ReasonBiometricFailed Reason = "biometric_failed"
	ReasonProviderRefused Reason = "provider_refused"
	ReasonProviderExpired Reason = "provider_expired"
	ReasonCertRevoked     Reason = "certificate_revoked"
)

// Op is a provider call in flight (or one that failed and may be retried).
type Op int

// Provider operations.
const (
	OpNone Op = iota
	OpCreate
	OpCode
	OpResend
	OpPrivacy
	OpBiometrics
	OpEDSRules
	OpCertificate
	OpSign
	OpStore // the kiosk's own write, not the provider's
	// OpSeal makes the signature long-term: the national CA's time stamp
	// and OCSP proof added to the CMS before it may be stored.
	OpSeal
)

var opNames = [...]string{"none", "create", "code", "resend", "privacy", "biometrics", "eds_rules", "certificate", "sign", "store", "seal"}

func (o Op) String() string {
	if o < 0 || int(o) >= len(opNames) {
		return "unknown"
	}
	return opNames[o]
}

// Consent is one accepted legal text, as it goes into the evidence.
type Consent struct {
	Kind       string    // provider.ConsentPrivacy or provider.ConsentEDSRules
	TextSHA256 string    // hex, of the exact bytes shown
	Lang       string    // language the text was read in
	AcceptedAt time.Time // kiosk clock
}

// Biometric is one provider decision (scores only, never images).
type Biometric struct {
	DecisionID string
	Decision   string
	Liveness   float64
	Match      float64
	Reason     string // the provider's reason code for retry or fail
	// ChallengeID and Moves are the provider's challenge the attempt answered.
	ChallengeID string
	Moves       []string
	At          time.Time
}

// Signature is what signing produced.
type Signature struct {
	Document       []byte // the signed document bytes
	DocumentSHA256 string
	CMS            []byte
	Certificate    string    // PEM
	Chain          string    // PEM
	SignedAt       time.Time // the provider's clock; evidence only
	// TimeStamped is the time stamp's genTime, the legal moment of signing;
	// zero until the signature is sealed (CMS then holds the time stamp and
	// the OCSP proof).
	TimeStamped time.Time
}

// State is one whole session. It holds personal data and secrets: it lives in
// memory only and Wipe drops it all.
type State struct {
	Gen  uint64 // session serial: results of an older session are ignored
	Step Step
	Lang string
	// DefaultLang is the kiosk's own language (SetDefaultLang), which the
	// idle screen returns to; like Storage it outlives sessions.
	DefaultLang string
	// Storage is a fault of the kiosk's database (one of StorageCodes)
	// that keeps new sessions out; empty while it can take one. It is the
	// kiosk's, not the session's: it outlives sessions.
	Storage string

	Ticket          ticket.Payload // PII (the order's subscriber)
	ProviderSession string
	ProviderExpires time.Time
	Doc             *provider.IDDocument // PII, from the eGov code

	Busy      Op        // call in flight; the UI shows a waiting screen
	Retry     Op        // a call that failed for transport reasons; the UI offers retry
	RetryAt   time.Time // when set (a store on a full or read-only disk): the machine retries by itself then
	Err       string    // last error code to show (provider.Code*, or Err* below)
	IdleAsked bool      // "are you still there?" is showing
	IdleEnds  time.Time // while IdleAsked: when the session ends without a touch (the UI's countdown)

	CodeAttemptsLeft int
	ResendsLeft      int
	// CodeSent counts the SMS codes sent in this session (1 once the
	// session is created): when it grows, the UI clears the boxes and
	// confirms the new code is on its way.
	CodeSent int
	ResendAt time.Time // the resend button enables then

	BioAttemptsLeft int
	Biometrics      []Biometric

	Consents []Consent
	password []byte // EDS password between "create" and "signed"; zeroed by wipe
	Cert     *provider.CertificateResponse
	Signed   *Signature
	// SealAttempts counts failed tries to seal the signature (time stamp,
	// OCSP); the next one waits longer (Limits.SealRetry, doubling).
	SealAttempts int
	Receipt      *Receipt

	Started      time.Time
	LastActivity time.Time
	EndedAt      time.Time
	Reason       Reason
	Marks        []Mark // step timestamps for the evidence
}

// Receipt is what the done screen shows: the package and where to fetch it.
type Receipt struct {
	PackageID   string
	DownloadURL string
}

// Mark records when a step was entered.
type Mark struct {
	Step Step
	At   time.Time
}

// Local (non-provider) error codes the UI translates.
const (
	ErrCodeFormat      = "code_format"      // not six digits
	ErrResendTooSoon   = "resend_too_soon"  // cooldown not over
	ErrNoResends       = "no_resends"       // none left
	ErrPasswordRule    = "password_rule"    // fails the rule
	ErrPasswordConfirm = "password_confirm" // the two entries differ
	ErrNoFrames        = "no_frames"        // capture gave nothing
	// Capture failures: the attempt never reached the provider, so it costs
	// no biometric attempt; the subscriber (or staff) fixes it and retries.
	ErrNoFace          = "capture_no_face"    // no face found in time
	ErrManyFaces       = "capture_many_faces" // more than one person in view
	ErrChallengeFailed = "capture_challenge"  // the movement was not seen in time
	ErrNoCamera        = "camera_none"        // no camera connected
	ErrCameraGone      = "camera_gone"        // the camera vanished mid-capture
	ErrCameraBusy      = "camera_busy"        // another program holds the camera
	ErrCameraFormat    = "camera_format"      // the camera offers no usable format
	ErrCameraVirtual   = "camera_virtual"     // a virtual camera (v4l2loopback, …): always refused
	ErrCameraUnlisted  = "camera_not_allowed" // the camera is not on the config's allow-list
	ErrStoreFailed     = "store_failed"       // the signed package could not be written
	// The kiosk's database could not take the signed package, by kind: the
	// signature stays in memory; a full or read-only disk can clear by
	// itself, so the machine retries those on its own (Limits.StoreRetry).
	ErrStoreDiskFull = "store_disk_full"
	ErrStoreReadOnly = "store_readonly"
	ErrStoreMissing  = "store_missing"
	ErrStoreDamaged  = "store_damaged"
	// Sealing the signature: the national CA's services that make it
	// long-term. Unavailable ones are retried by the machine with backoff;
	// the signature waits in memory and is never stored without them.
	ErrTSAUnavailable  = "tsa_unavailable"
	ErrOCSPUnavailable = "ocsp_unavailable"
	ErrSealFailed      = "seal_failed"         // an answer the kiosk cannot use; retried too
	ErrCertRevoked     = "certificate_revoked" // OCSP: the new certificate is revoked; the session ends
)

// Storage faults: the kiosk's database cannot take a new session (State.
// Storage); the idle screen says which and no ticket starts one.
const (
	ErrStorageDiskFull = "storage_disk_full"
	ErrStorageReadOnly = "storage_readonly"
	ErrStorageMissing  = "storage_missing"
	ErrStorageDamaged  = "storage_damaged"
)

// StoreCodes are the codes a failed store may carry (a new slice each call).
func StoreCodes() []string {
	return []string{ErrStoreFailed, ErrStoreDiskFull, ErrStoreReadOnly, ErrStoreMissing, ErrStoreDamaged}
}

// StorageCodes are the storage faults State.Storage may hold.
func StorageCodes() []string {
	return []string{ErrStorageDiskFull, ErrStorageReadOnly, ErrStorageMissing, ErrStorageDamaged}
}

// SealCodes are the codes a failed seal may carry (a new slice each call).
func SealCodes() []string {
	return []string{ErrTSAUnavailable, ErrOCSPUnavailable, ErrSealFailed, ErrCertRevoked}
}

// CaptureCodes are the local codes a failed capture may carry (a new slice
// each call: callers cannot change the set).
func CaptureCodes() []string {
	return []string{ErrNoFrames, ErrNoFace, ErrManyFaces, ErrChallengeFailed, ErrNoCamera, ErrCameraGone, ErrCameraBusy, ErrCameraFormat,
		ErrCameraVirtual, ErrCameraUnlisted}
}

// ChallengeRefusals are the provider's refusals of a biometric submission
// after which the subscriber simply tries again with a new challenge (a new
// slice each call). A bad device certificate or signature is not among
// them: that kiosk needs staff, and the session ends.
func ChallengeRefusals() []string {
	return []string{provider.CodeChallengeUnknown, provider.CodeChallengeUsed, provider.CodeChallengeExpired,
		provider.CodeNonceMismatch, provider.CodeFramesReused, provider.CodeFrameTimes}
}

// HasPassword reports whether a password is held (for tests and the runner).
func (s *State) HasPassword() bool { return len(s.password) > 0 }

// Password returns the held EDS password (for the effect that needs it).
func (s *State) Password() string { return string(s.password) }
