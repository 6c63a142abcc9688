package kiosk

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"almatel.kz/signkiosk/app/session"
)

// FolderStore writes each signed session as a folder of files under Dir: the
// document, its detached CMS, the certificates and the evidence.
// STAND-IN: the package issue replaces it with the signed ZIP and the outbox
// issue with the encrypted SQLite outbox; until then this keeps a signature
// safe across a crash (write to a temp folder, fsync, rename).
type FolderStore struct {
	Dir     string
	KioskID string
	Version string
	// LinkBase is the download link prefix the done screen's QR shows.
	LinkBase string
}

// evidence is the PII-free record of how the session went.
type evidence struct {
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
	AppVersion      string        `json:"app_version"`
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
	Challenge  string  `json:"challenge"`
}

// Store implements Store.
func (f FolderStore) Store(ctx context.Context, s session.State) (session.Receipt, error) {
	if s.Signed == nil || s.Signed.DocumentName == "" {
		return session.Receipt{}, fmt.Errorf("store: session is not signed")
	}
	if err := ctx.Err(); err != nil {
		return session.Receipt{}, fmt.Errorf("store: %w", err)
	}
	id := uuid.NewString()
	ev := evidence{
		TicketID: s.Ticket.TID, Office: s.Ticket.Office, Staff: s.Ticket.Staff, Kiosk: f.KioskID,
		OrderID: s.Ticket.Order.ID, Lang: s.Lang, ProviderSession: s.ProviderSession,
		DocumentSHA256: s.Signed.DocumentSHA256, SignedAt: s.Signed.SignedAt, AppVersion: f.Version,
	}
	for _, m := range s.Marks {
		ev.Steps = append(ev.Steps, evStep{m.Step.String(), m.At})
	}
	for _, c := range s.Consents {
		ev.Consents = append(ev.Consents, evConsent(c))
	}
	for _, b := range s.Biometrics {
		ev.Biometrics = append(ev.Biometrics, evBiometric{b.DecisionID, b.Decision, b.Liveness, b.Match, b.Challenge})
	}
	evJSON, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return session.Receipt{}, fmt.Errorf("store: evidence: %w", err)
	}
	files := map[string][]byte{
		s.Signed.DocumentName:          s.Signed.Document,
		s.Signed.DocumentName + ".cms": s.Signed.CMS,
		"signer.pem":                   []byte(s.Signed.Certificate),
		"chain.pem":                    []byte(s.Signed.Chain),
		"evidence.json":                evJSON,
	}
	if err := writeFolder(f.Dir, id, files); err != nil {
		return session.Receipt{}, err
	}
	return session.Receipt{PackageID: id, DownloadURL: f.LinkBase + id}, nil
}

// writeFolder makes Dir/id atomically: files land in a temp folder that is
// synced and renamed into place, then the parent is synced.
func writeFolder(dir, id string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-")
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer os.RemoveAll(tmp) // no-op after the rename
	for name, data := range files {
		if err := writeSync(filepath.Join(tmp, name), data); err != nil {
			return fmt.Errorf("store %s: %w", name, err)
		}
	}
	if err := syncDir(tmp); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, id)); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func writeSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
