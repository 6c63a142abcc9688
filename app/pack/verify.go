package pack

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"almatel.kz/signkiosk/app/cades"
	"almatel.kz/signkiosk/app/strictjson"
)

// VerifyOptions tune Verify. Zero values take the defaults noted.
type VerifyOptions struct {
	// Roots are the trusted CAs (signer, time-stamp authority, OCSP
	// responder). Nil trusts nothing: the signature's chains are then
	// INDETERMINATE (Summary.Result says why), never taken from the package.
	Roots *x509.CertPool
	// Trust names the roots for the report.
	Trust string
	// At is the validation time; zero is now.
	At time.Time
	// DeviceRoots are the trusted kiosk CAs, whose device certificates
	// vouch for the kiosks that sign manifests (head office's kiosk CA).
	// Nil uses Roots: a device certificate is told from any other by its
	// policy (DevicePolicyOID), whichever trusted root it chains to.
	DeviceRoots *x509.CertPool
	// DevicePub, when set, is the one device key the package's device
	// certificate must certify (`verify --device-pub`): an extra, beside
	// the certificate's chain.
	DevicePub ed25519.PublicKey
	// PackageID, when set, is the id the package is delivered or filed
	// under: the signed manifest must name it (check package_id).
	PackageID string
	// MaxEntry and MaxTotal bound the decompressed bytes read per entry and
	// in all (default 32 MiB and 64 MiB), against zip bombs.
	MaxEntry int64
	MaxTotal int64
}

// Problem is one thing wrong with a package, as one short line. It never
// holds personal data.
type Problem string

// Summary describes a package. SignerCN is the subscriber's name as in the
// certificate; the IIN is deliberately left out.
type Summary struct {
	Files          int
	SignerCN       string
	SignerSerial   string    // certificate serial number, hex
	SignedAt       time.Time // the time stamp's genTime when there is one
	OrderID        string
	PackageID      string // as the manifest names them
	TicketID       string
	Kiosk          string // the device certificate's kiosk id (its CN), when it is a device certificate
	Trust          string // which roots the CMS was checked against
	ManifestSigned string // "verified", or what is known of it
	// Device is device.pem's certificate when it parses, a kiosk device
	// certificate or not (Checks say).
	Device *x509.Certificate
	// Checks are the package's own checks (manifest, device certificate),
	// in the ETSI manner of the signature's (Check* constants).
	Checks []cades.Check
	// Result is the signature's long-term validation (its Report is the
	// ETSI-style report); nil when the PDF or CMS is missing.
	Result *cades.Result
}

// Indication is the package's overall result (Report's): TOTAL_FAILED when
// there are problems, else INDETERMINATE when the signature or a package
// check could not be decided, else TOTAL_PASSED.
func (s Summary) Indication(probs []Problem) cades.Indication {
	return s.Report(probs).Indication
}

// evidenceFields are the parts of evidence.json Verify checks.
type evidenceFields struct {
	OrderID        string    `json:"order_id"`
	TicketID       string    `json:"ticket_id"`
	Kiosk          string    `json:"kiosk"`
	DocumentSHA256 string    `json:"document_sha256"`
	SubjectIIN     string    `json:"subject_iin"`
	SignedAt       time.Time `json:"signed_at"`
	TimeStampedAt  time.Time `json:"time_stamped_at"`
}

// Verify checks a package and returns what it could learn of it and every
// problem found; no problems means the package is intact and valid.
func Verify(zipBytes []byte, opts VerifyOptions) (Summary, []Problem) {
	var sum Summary
	var probs []Problem
	add := func(format string, a ...any) { probs = append(probs, Problem(fmt.Sprintf(format, a...))) }
	if opts.MaxEntry <= 0 {
		opts.MaxEntry = defaultMaxEntry
	}
	if opts.MaxTotal <= 0 {
		opts.MaxTotal = defaultMaxTotal
	}

	// The layout is checked first and alone: an archive with data around or
	// inside it, or too many entries, is not a package, whatever it holds.
	end, err := readEnd(zipBytes)
	if err != nil {
		add("%v", err)
		return sum, probs
	}
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		add("package is not a readable ZIP (truncated or corrupt): %v", err)
		return sum, probs
	}
	if err := checkEntries(zipBytes, zr.File, end); err != nil {
		add("%v", err)
		return sum, probs
	}
	expected := map[string]bool{}
	for _, n := range fileNames() {
		expected[n] = true
	}
	data := map[string][]byte{}
	seen := map[string]bool{}
	var total int64
	for _, f := range zr.File {
		name := f.Name
		switch {
		case unsafeName(name):
			add("entry %q escapes the package", name)
			continue
		case seen[name]:
			add("duplicate entry %q", name)
			continue
		case !expected[name]:
			add("extra file %q", name)
			seen[name] = true
			continue
		}
		seen[name] = true
		// Refuse on the declared size before inflating anything; then read
		// at most the limit plus one byte, whatever the header claims, so a
		// zip bomb costs us no more than the limit.
		if f.UncompressedSize64 > uint64(opts.MaxEntry) {
			add("%s: larger than the %d-byte limit", name, opts.MaxEntry)
			continue
		}
		if f.UncompressedSize64 > uint64(opts.MaxTotal-total) {
			add("%s: package exceeds the %d-byte total limit", name, opts.MaxTotal)
			return sum, probs
		}
		limit := min(opts.MaxEntry, opts.MaxTotal-total)
		b, err := readLimited(f, limit)
		if errors.Is(err, errTooLarge) {
			if limit < opts.MaxEntry {
				add("%s: package exceeds the %d-byte total limit", name, opts.MaxTotal)
				return sum, probs
			}
			add("%s: larger than the %d-byte limit", name, opts.MaxEntry)
			continue
		}
		if err != nil {
			add("%s: cannot read: %v", name, err)
			continue
		}
		total += int64(len(b))
		data[name] = b
	}
	for _, n := range fileNames() {
		if !seen[n] {
			add("missing file %q", n)
		}
	}
	sum.Files = len(zr.File)

	pc := &checks{add: add}
	m := checkManifest(data, pc)
	signer := checkSignature(data, opts, &sum, add)
	ev := checkEvidence(data, signer, &sum, add)
	// Who signed the manifest before what it says: ids in an unsigned
	// manifest are the sender's word.
	checkDevice(data, ev, opts, &sum, pc)
	checkIDs(m, ev, opts.PackageID, &sum, pc)
	sum.Checks = pc.list
	return sum, probs
}

var errTooLarge = errors.New("entry too large")

func readLimited(f *zip.File, limit int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooLarge
	}
	return b, nil
}

// unsafeName reports names that could land outside the folder a package is
// extracted to, or mean different files on different systems.
func unsafeName(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, `\`) ||
		(len(name) >= 2 && name[1] == ':') {
		return true
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

// checkSignature validates the long-term CMS over the PDF (cades.Validate:
// time stamp, OCSP proof, chains as of genTime) and that signer.pem is its
// signer; it returns the signer certificate, or nil. Each failed check is
// a problem; an undecided one (nothing trusted) leaves the summary
// INDETERMINATE without being a problem of the package.
func checkSignature(data map[string][]byte, opts VerifyOptions, sum *Summary, add func(string, ...any)) *x509.Certificate {
	pdf, okPDF := data[NamePDF]
	sig, okCMS := data[NameCMS]
	if !okPDF || !okCMS {
		return nil
	}
	res := cades.Validate(sig, pdf, cades.Options{Roots: opts.Roots, Trust: opts.Trust, At: opts.At})
	sum.Result = &res
	sum.Trust = res.Report.Trust
	for _, c := range res.Report.Checks {
		if c.Status == cades.Failed {
			add("%s: %s: %s", NameCMS, c.ID, c.Reason)
		}
	}
	signer := res.Signer
	if signer == nil {
		return nil
	}
	sum.SignerCN = signer.Subject.CommonName
	sum.SignerSerial = hex.EncodeToString(signer.SerialNumber.Bytes())
	if pemBytes, ok := data[NameSigner]; ok {
		cert, err := parseCertPEM(pemBytes)
		switch {
		case err != nil:
			add("%s: %v", NameSigner, err)
		case !cert.Equal(signer):
			add("%s is not the certificate that signed the CMS", NameSigner)
		}
	}
	return signer
}

// checkEvidence checks evidence.json against the PDF and the signature and
// returns it, or nil when it is missing or unreadable.
func checkEvidence(data map[string][]byte, signer *x509.Certificate, sum *Summary, add func(string, ...any)) *evidenceFields {
	raw, ok := data[NameEvidence]
	if !ok {
		return nil
	}
	var ev evidenceFields
	if err := strictjson.Unmarshal(raw, &ev); err != nil {
		add("%s: %s", NameEvidence, jsonProblem(err))
		return nil
	}
	sum.OrderID, sum.SignedAt = ev.OrderID, ev.SignedAt
	if r := sum.Result; r != nil && r.Report.SigningTime != nil {
		sum.SignedAt = *r.Report.SigningTime
		if !ev.TimeStampedAt.Equal(*r.Report.SigningTime) {
			add("%s: time_stamped_at is not the time stamp's genTime", NameEvidence)
		}
	}
	if pdf, ok := data[NamePDF]; ok {
		d := sha256.Sum256(pdf)
		if !strings.EqualFold(ev.DocumentSHA256, hex.EncodeToString(d[:])) {
			add("%s: document_sha256 does not match %s", NameEvidence, NamePDF)
		}
	}
	switch {
	case ev.SubjectIIN == "":
		add("%s: subject_iin is missing", NameEvidence)
	case signer != nil && signer.Subject.SerialNumber != "IIN"+ev.SubjectIIN:
		// Never print either IIN: say only that they differ.
		add("%s: subject_iin does not match the signer certificate", NameEvidence)
	}
	return &ev
}

// jsonProblem says why a signed JSON file was refused, naming at most a key
// or a field, never a value: time.Time's parse errors, for one, quote the
// value, and evidence.json holds personal data.
func jsonProblem(err error) string {
	var (
		dup *strictjson.DuplicateKeyError
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &dup):
		return dup.Error()
	case errors.As(err, &syn):
		return fmt.Sprintf("not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("not valid JSON: %q holds a %s", typ.Field, typ.Value)
	default:
		return "not valid JSON: a field holds a value of the wrong form"
	}
}

func parseCertPEM(b []byte) (*x509.Certificate, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	return c, nil
}
