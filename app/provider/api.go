// Package provider holds the biometric and cloud-EDS provider's API as the
// kiosk sees it: request and response types, stable error codes, and the HTTP
// client. The simulator of the same API lives in provider/sim.
package provider

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Stable error codes of the API; the UI translates each one.
const (
	CodeBadRequest      = "bad_request"
	CodeUnauthorized    = "unauthorized"
	CodeNotFound        = "not_found"
	CodeWrongCode       = "wrong_code"       // 422 on egov-code, with attempts_left
	CodeCodeExpired     = "code_expired"     // 410
	CodeTooMany         = "too_many"         // 429: resend cooldown, attempts exhausted
	CodeSessionExpired  = "session_expired"  // 410 on any call after expiry
	CodeWrongState      = "wrong_state"      // 409: step called out of order
	CodeWeakPassword    = "weak_password"    // 422 on certificate
	CodeWrongPassword   = "wrong_password"   // 422 on sign
	CodeBiometricFailed = "biometric_failed" // attempts exhausted
	CodeUnavailable     = "unavailable"      // 503 or transport failure: retry later
	CodeTimeout         = "timeout"          // the client's deadline passed
	CodeCanceled        = "canceled"         // the caller gave up (its ctx was canceled); not retryable
	CodeInternal        = "internal"
)

// Error is the API's error body, and the client's error value.
type Error struct {
	Status       int    `json:"-"`
	Code         string `json:"error"`
	Message      string `json:"message"`
	AttemptsLeft *int   `json:"attempts_left,omitempty"`
	// Err is the client-side cause (transport error, context error), kept for
	// errors.Is/As; never sent over the wire.
	Err error `json:"-"`
}

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("provider: %s (%d)", e.Code, e.Status)
	}
	return fmt.Sprintf("provider: %s (%d): %s", e.Code, e.Status, e.Message)
}

// Unwrap gives errors.Is/As the client-side cause, e.g. context.Canceled.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the stable code of err, CodeInternal when it has none.
func ErrorCode(err error) string {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return CodeInternal
}

// Retryable reports whether the same call may succeed when repeated
// (transport trouble), as opposed to a refusal.
func Retryable(err error) bool {
	switch ErrorCode(err) {
	case CodeUnavailable, CodeTimeout, CodeInternal:
		return true
	}
	return false
}

// CreateSessionRequest is POST /v1/sessions.
type CreateSessionRequest struct {
	OrderID string `json:"order_id"`
	IIN     string `json:"iin"`
	Phone   string `json:"phone"`
	Lang    string `json:"lang"`
	// KioskID names the kiosk opening the session; its biometric
	// submissions must be signed by that kiosk's device certificate.
	KioskID string `json:"kiosk_id,omitempty"`
	// Names from the order, optional. The real provider takes them from eGov;
	// the simulator uses them to make up the ID document (else it invents them).
	Surname    string `json:"surname,omitempty"`
	Given      string `json:"given,omitempty"`
	Patronymic string `json:"patronymic,omitempty"`
}

// CreateSessionResponse is the provider's session.
type CreateSessionResponse struct {
	SessionID string    `json:"session_id"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CodeRequest is POST /v1/sessions/{id}/egov-code.
type CodeRequest struct {
	Code string `json:"code"`
}

// IDDocument is the citizen's digital ID document opened by the eGov code.
// Personal data: never log it.
type IDDocument struct {
	IIN        string `json:"iin"`
	Surname    string `json:"surname"`
	Given      string `json:"given"`
	Patronymic string `json:"patronymic"`
	BirthDate  string `json:"birth_date"` // YYYY-MM-DD
	DocNumber  string `json:"doc_number"`
	PhotoJPEG  []byte `json:"photo_jpeg"` // base64 in JSON
}

// Consent kinds.
const (
	ConsentPrivacy  = "privacy"
	ConsentEDSRules = "eds_rules"
)

// ConsentRequest is POST /v1/sessions/{id}/consents.
type ConsentRequest struct {
	Kind       string    `json:"kind"`
	TextSHA256 string    `json:"text_sha256"` // hex
	Lang       string    `json:"lang"`
	AcceptedAt time.Time `json:"accepted_at"`
}

// Biometric decisions.
const (
	DecisionPass  = "pass"
	DecisionRetry = "retry"
	DecisionFail  = "fail"
)

// BiometricsResponse is the provider's judgement of one attempt.
type BiometricsResponse struct {
	DecisionID   string  `json:"decision_id"`
	Decision     string  `json:"decision"`
	Liveness     float64 `json:"liveness"`
	Match        float64 `json:"match"`
	AttemptsLeft int     `json:"attempts_left"`
	Reason       string  `json:"reason,omitempty"`
	// ChallengeID is the challenge the attempt answered.
	ChallengeID string `json:"challenge_id"`
}

// The provider's password rule for the EDS key (certificate call).
// PasswordSpecials are the procedure's examples of a special character,
// shown to the subscriber; every printable ASCII character that is not a
// letter or digit counts ("- _ . + =" too), as the procedure means.
const (
	PasswordMinLen   = 8
	PasswordSpecials = "@$!%*#?&"
)

// PasswordCheck is the password rule item by item, for the UI's live
// checklist and the simulator's check.
type PasswordCheck struct {
	Length  bool // at least PasswordMinLen characters
	Letter  bool // a Latin letter a–z or A–Z
	Digit   bool // a digit 0–9
	Special bool // a printable ASCII character not a letter or digit (IsSpecial)
}

// OK reports whether every item of the rule holds.
func (c PasswordCheck) OK() bool { return c.Length && c.Letter && c.Digit && c.Special }

// CheckPassword checks pw against the rule. Letters are Latin only: EDS
// passwords are typed on Latin layouts, so a Cyrillic letter does not count.
func CheckPassword(pw string) PasswordCheck {
	c := PasswordCheck{Length: utf8.RuneCountInString(pw) >= PasswordMinLen}
	for _, r := range pw {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			c.Letter = true
		case r >= '0' && r <= '9':
			c.Digit = true
		case IsSpecial(r):
			c.Special = true
		}
	}
	return c
}

// IsSpecial reports whether r counts as the rule's special character: any
// printable ASCII character but a letter, a digit or the space.
func IsSpecial(r rune) bool {
	return r > ' ' && r <= '~' && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') && !(r >= '0' && r <= '9')
}

// CertificateRequest is POST /v1/sessions/{id}/certificate.
type CertificateRequest struct {
	Password string `json:"password"`
}

// CertificateResponse holds the issued certificate and its chain, PEM.
type CertificateResponse struct {
	Certificate string `json:"certificate"`
	Chain       string `json:"chain"`
}

// SignRequest is POST /v1/sessions/{id}/sign.
type SignRequest struct {
	DocumentSHA256 string `json:"document_sha256"` // hex
	Password       string `json:"password"`
}

// SignResponse is the detached signature over the document: CMS is a DER
// ContentInfo/SignedData (CAdES-BES, SHA-256, RSA) without the content,
// carrying the signer certificate and its chain; check it with cms.Verify
// or `openssl cms -verify -binary -inform DER -content DOC`.
type SignResponse struct {
	CMS      []byte    `json:"cms"` // DER, base64 in JSON
	SignedAt time.Time `json:"signed_at"`
}
