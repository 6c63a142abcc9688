package kiosk

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"almatel.kz/signkiosk/app/keyfile"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/session"
)

// PackageStore turns each signed session into the signed ZIP of DESIGN.md
// (application.pdf, its CMS, certificates, evidence, manifest and the
// device's signature) and hands it to a Sink that keeps it durably before
// the done screen may show.
type PackageStore struct {
	KioskID   string
	Version   string
	DeviceKey ed25519.PrivateKey // signs manifest.json
	// DeviceCert is device.pem: head office's certificate for DeviceKey
	// (CN = KioskID), which every package carries (pack.LoadDeviceCert).
	DeviceCert []byte
	Sink       Sink
	// Link makes the download link the done screen's QR shows.
	Link func(packageID string) string
	// Camera is the camera the session's frames came from (the kiosk's
	// one camera: its source reopens only that camera, so the camera now
	// is the camera of the capture); nil records an empty identity.
	Camera func() CameraIdentity
}

// Built is a package ready to keep.
type Built struct {
	ID, TicketID string
	SignedAt     time.Time
	Zip          []byte
}

// Sink keeps a built package durably (the outbox; a folder of files).
type Sink interface {
	Keep(ctx context.Context, b Built) error
}

// FileSink writes Dir/<id>.zip whole or not at all (temp file, fsync, link,
// fsync of the folder): for tests and tools; the kiosk keeps packages in
// the outbox.
type FileSink struct{ Dir string }

// Keep implements Sink.
func (f FileSink) Keep(_ context.Context, b Built) error {
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return fmt.Errorf("keep package: %w", err)
	}
	return keyfile.WriteOnce(filepath.Join(f.Dir, b.ID+".zip"), b.Zip, 0o600)
}

// evidence is the PII-free record of how the session went.
type evidence struct {
	// SubjectIIN lets `signkiosk verify` tie the package to the signer's
	// certificate. The package is the subscriber's own legal document and
	// the PDF shows the IIN anyway; logs never carry it.
	SubjectIIN      string        `json:"subject_iin"`
	TicketID        string        `json:"ticket_id"`
	Office          string        `json:"office"`
	Staff           string        `json:"staff"`
	Kiosk           string        `json:"kiosk"`
	OrderID         string        `json:"order_id"`
	Lang            string        `json:"lang"`
	ProviderSession string        `json:"provider_session_id"`
	Steps           []evStep      `json:"steps"`
	Consents        []evConsent   `json:"consents"`
	Biometrics      []evBiometric `json:"biometrics"`
	DocumentSHA256  string        `json:"document_sha256"`
	SignedAt        time.Time     `json:"signed_at"`
	TimeStampedAt   time.Time     `json:"time_stamped_at"` // the time stamp's genTime: the moment of signing
	AppVersion      string        `json:"app_version"`

	// Camera is the camera the frames came from (a device, not a person).
	Camera CameraIdentity `json:"camera"`
}

type evStep struct {
	Step string    `json:"step"`
	At   time.Time `json:"at"`
}

type evConsent struct {
	Kind       string    `json:"kind"`
	TextSHA256 string    `json:"text_sha256"`
	Lang       string    `json:"lang"`
	AcceptedAt time.Time `json:"accepted_at"`
}

type evBiometric struct {
	DecisionID string  `json:"decision_id"`
	Decision   string  `json:"decision"`
	Liveness   float64 `json:"liveness"`
	Match      float64 `json:"match"`
	Reason     string  `json:"reason,omitempty"`
	// The provider's challenge: its id and the moves it asked for.
	ChallengeID string   `json:"challenge_id"`
	Moves       []string `json:"moves"`
}

// Store implements Store.
func (f PackageStore) Store(ctx context.Context, s session.State) (session.Receipt, error) {
	if s.Signed == nil {
		return session.Receipt{}, fmt.Errorf("store: session is not signed")
	}
	if err := ctx.Err(); err != nil {
		return session.Receipt{}, fmt.Errorf("store: %w", err)
	}
	id := uuid.NewString()
	ev := evidence{
		SubjectIIN: s.Ticket.Order.Subscriber.IIN,
		TicketID:   s.Ticket.TID, Office: s.Ticket.Office, Staff: s.Ticket.Staff, Kiosk: f.KioskID,
		OrderID: s.Ticket.Order.ID, Lang: s.Lang, ProviderSession: s.ProviderSession,
		DocumentSHA256: s.Signed.DocumentSHA256, SignedAt: s.Signed.SignedAt, TimeStampedAt: s.Signed.TimeStamped,
		AppVersion: f.Version,
	}
	if s.Doc != nil {
		ev.SubjectIIN = s.Doc.IIN // the ID document is the authority
	}
	if f.Camera != nil {
		ev.Camera = f.Camera()
	}
	for _, m := range s.Marks {
		ev.Steps = append(ev.Steps, evStep{m.Step.String(), m.At})
	}
	for _, c := range s.Consents {
		ev.Consents = append(ev.Consents, evConsent(c))
	}
	for _, b := range s.Biometrics {
		ev.Biometrics = append(ev.Biometrics, evBiometric{b.DecisionID, b.Decision, b.Liveness, b.Match, b.Reason, b.ChallengeID, b.Moves})
	}
	evJSON, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return session.Receipt{}, fmt.Errorf("store: evidence: %w", err)
	}
	cardPDF, err := buildCard(s, fmt.Sprintf("signkiosk %s, kiosk %s", f.Version, f.KioskID))
	if err != nil {
		return session.Receipt{}, fmt.Errorf("store: %w", err)
	}
	zipBytes, err := pack.Build(pack.Files{
		PackageID: id, DeviceCert: f.DeviceCert,
		PDF: s.Signed.Document, CMS: s.Signed.CMS, SignerPEM: s.Signed.Certificate, ChainPEM: s.Signed.Chain,
		Card: cardPDF, Evidence: evJSON,
	}, f.DeviceKey)
	if err != nil {
		return session.Receipt{}, fmt.Errorf("store: %w", err)
	}
	b := Built{ID: id, TicketID: s.Ticket.TID, SignedAt: s.Signed.SignedAt, Zip: zipBytes}
	if err := f.Sink.Keep(ctx, b); err != nil {
		return session.Receipt{}, fmt.Errorf("store: %w", err)
	}
	return session.Receipt{PackageID: id, DownloadURL: f.Link(id)}, nil
}
