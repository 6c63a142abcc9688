// Package pack builds and verifies the signed package of DESIGN.md: a ZIP
// with the application PDF, its detached long-term CMS (CAdES with the
// time stamp and OCSP proof), the signer certificate and chain, the
// electronic-document card, the evidence, the kiosk's device certificate,
// and a manifest that names the package, its ticket and its order and is
// signed by the kiosk's Ed25519 device key.
package pack

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/google/uuid"

	"almatel.kz/signkiosk/app/strictjson"
)

// Names of the files in a package, in the order Build writes them.
const (
	NamePDF         = "application.pdf"
	NameCMS         = "application.pdf.cms"
	NameSigner      = "signer.pem"
	NameChain       = "chain.pem"
	NameCard        = "card.pdf"
	NameEvidence    = "evidence.json"
	NameDevice      = "device.pem"
	NameManifest    = "manifest.json"
	NameManifestSig = "manifest.json.sig"
	// ManifestVersion 3 names the package, ticket and order ids and carries
	// the kiosk's device certificate (device.pem); version 2 was the first
	// long-term package (card.pdf, a CMS with time stamp and OCSP proof);
	// version 1 held a CAdES-BES signature. Only the current version
	// verifies: an older package is refused, not judged by older rules.
	ManifestVersion  = 3
	defaultMaxEntry  = 32 << 20
	defaultMaxTotal  = 64 << 20
	manifestFileMode = 0o644
)

// fileNames lists every file a package holds, exactly.
func fileNames() []string {
	return []string{NamePDF, NameCMS, NameSigner, NameChain, NameCard, NameEvidence, NameDevice, NameManifest, NameManifestSig}
}

// Files are the contents Build packs. Evidence is the evidence JSON; it must
// carry signed_at (used as the entries' time), subject_iin (checked by
// Verify against the signer certificate), ticket_id and order_id (copied
// into the manifest) and kiosk (the device certificate's kiosk id).
type Files struct {
	// PackageID is the id the package is delivered and filed under, a
	// lowercase UUID; the signed manifest names it.
	PackageID string
	// DeviceCert is device.pem: head office's certificate for the device
	// key that signs the manifest (see ParseDeviceCert).
	DeviceCert []byte
	PDF        []byte
	CMS        []byte
	SignerPEM  string
	ChainPEM   string
	Card       []byte // the electronic-document card (PDF)
	Evidence   []byte
}

// Manifest is manifest.json: the ids the package is bound to, and the
// digest and size of every other file except the manifest signature.
type Manifest struct {
	Version   int                   `json:"version"`
	PackageID string                `json:"package_id"`
	TicketID  string                `json:"ticket_id"`
	OrderID   string                `json:"order_id"`
	Files     map[string]FileDigest `json:"files"`
}

// FileDigest is one manifest entry.
type FileDigest struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

func digest(b []byte) FileDigest {
	sum := sha256.Sum256(b)
	return FileDigest{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b))}
}

// Build returns the package ZIP. The same inputs give the same bytes: the
// entries are written in a fixed order with the evidence's signed_at as
// their time, and JSON map keys are sorted by encoding/json.
func Build(files Files, key ed25519.PrivateKey) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("pack: device key has %d bytes", len(key))
	}
	var ev struct {
		SignedAt time.Time `json:"signed_at"`
		TicketID string    `json:"ticket_id"`
		OrderID  string    `json:"order_id"`
		Kiosk    string    `json:"kiosk"`
	}
	// The evidence is signed (through the manifest): refuse one that two
	// readers could read differently.
	if err := strictjson.Unmarshal(files.Evidence, &ev); err != nil {
		return nil, fmt.Errorf("pack: evidence: %w", err)
	}
	switch {
	case !validPackageID(files.PackageID):
		return nil, fmt.Errorf("pack: package id %q is not a lowercase UUID", files.PackageID)
	case ev.TicketID == "" || ev.OrderID == "":
		return nil, errors.New("pack: evidence: ticket_id and order_id are required")
	}
	// A package head office would refuse is not made at all.
	if err := checkOwnDevice(files.DeviceCert, key, ev.Kiosk); err != nil {
		return nil, fmt.Errorf("pack: device certificate: %w", err)
	}
	contents := map[string][]byte{
		NamePDF:      files.PDF,
		NameCMS:      files.CMS,
		NameSigner:   []byte(files.SignerPEM),
		NameChain:    []byte(files.ChainPEM),
		NameCard:     files.Card,
		NameEvidence: files.Evidence,
		NameDevice:   files.DeviceCert,
	}
	m := Manifest{Version: ManifestVersion, PackageID: files.PackageID, TicketID: ev.TicketID, OrderID: ev.OrderID,
		Files: map[string]FileDigest{}}
	for name, b := range contents {
		m.Files[name] = digest(b)
	}
	mJSON, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("pack: manifest: %w", err)
	}
	contents[NameManifest] = mJSON
	contents[NameManifestSig] = ed25519.Sign(key, mJSON)

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	// Pin the compressor so output does not depend on a registered default.
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.DefaultCompression)
	})
	mod := ev.SignedAt.UTC()
	for _, name := range fileNames() {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mod}
		h.SetMode(manifestFileMode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, fmt.Errorf("pack: %s: %w", name, err)
		}
		if _, err := w.Write(contents[name]); err != nil {
			return nil, fmt.Errorf("pack: %s: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	return buf.Bytes(), nil
}

// sortedKeys returns m's keys in order, so problems come out stable.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// validPackageID accepts canonical lowercase UUIDs only, as head office
// does: one spelling per package.
func validPackageID(id string) bool {
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id
}
