// Package kiosk runs the signing session: it owns the current session state,
// feeds events through the pure machine in app/session, runs the effects it
// asks for (provider calls, capture, storage) and tells the UI what changed.
package kiosk

import (
	"context"
	"time"

	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/camera"
)

// Provider is the biometric and EDS service (provider.Client satisfies it).
type Provider interface {
	CreateSession(ctx context.Context, req provider.CreateSessionRequest) (provider.CreateSessionResponse, error)
	SubmitCode(ctx context.Context, sessionID, code string) (provider.IDDocument, error)
	ResendCode(ctx context.Context, sessionID string) error
	Consent(ctx context.Context, sessionID string, req provider.ConsentRequest) error
	BiometricChallenge(ctx context.Context, sessionID string) (provider.BiometricChallenge, error)
	Biometrics(ctx context.Context, sessionID string, req provider.BiometricsRequest) (provider.BiometricsResponse, error)
	Certificate(ctx context.Context, sessionID, password string) (provider.CertificateResponse, error)
	Sign(ctx context.Context, sessionID string, req provider.SignRequest) (provider.SignResponse, error)
}

// Sealer makes a provider's signature long-term (cades.Sealer satisfies
// it): it adds what the CMS lacks of the signature time stamp and the OCSP
// proof, checks the result, and returns it with the time stamp's genTime.
// Its errors wrap cades.ErrTSAUnavailable, ErrOCSPUnavailable or ErrRevoked.
type Sealer interface {
	Seal(ctx context.Context, cmsDER, document []byte) ([]byte, time.Time, error)
}

// Capturer takes the frames of one liveness attempt at the provider's
// moves, JPEG-encoded with their capture times (camera.Capturer).
type Capturer interface {
	Capture(ctx context.Context, moves []string) ([]camera.Frame, error)
}

// Attester makes the signed submission of an attempt's frames: the
// challenge, the frames, the camera's identity and the device signature
// over them (DeviceAttester).
type Attester interface {
	Attest(sessionID string, ch provider.BiometricChallenge, frames []camera.Frame) (provider.BiometricsRequest, error)
}

// CaptureCoder is implemented by capture errors that name what went wrong
// as one of session.CaptureCodes(), so the subscriber sees why ("no face",
// "camera unplugged") instead of a generic failure.
type CaptureCoder interface {
	CaptureCode() string
}

// TicketGate verifies a scanned ticket and marks it used.
type TicketGate interface {
	Admit(ctx context.Context, text string, now time.Time) (ticket.Payload, error)
}

// Store keeps a signed session durably and says where to download it.
type Store interface {
	Store(ctx context.Context, s session.State) (session.Receipt, error)
}

// StorageProbe looks at the kiosk's database while it runs (store.Probe
// satisfies it). Check: can it take a session (nil), or which fault keeps
// sessions out. InPlace: is the open database still the file on disk — a
// write into a removed file succeeds and is lost at the next start.
type StorageProbe interface {
	Check(ctx context.Context) error
	InPlace() error
}

// Documents renders the document a session signs.
type Documents interface {
	Render(s session.State) ([]byte, error)
}
