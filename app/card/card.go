// Package card builds the electronic-document card ("Карточка электронного
// документа", the public specification kaarkz/ddcard): one PDF any phone
// opens, whose visible part describes the signed application and whose
// embedded files are the application.pdf exactly as signed and its CMS
// signatures. Only the embedded files carry legal force; the visible part
// says so.
//
// Pages: an information block; the application re-drawn by
// document.Renderer (the renderer of application.pdf) under the header and
// watermark "Визуализация электронного документа"; one page per signature.
// A4, margins 30/20/10/20 mm (left, top, right, bottom), page numbers and
// the card's name in the footer from page 2.
package card

import (
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
	"unicode"

	"almatel.kz/signkiosk/app/document"
)

// Input is what a card shows and carries. Personal data: never log it.
type Input struct {
	Lang        string               // kk, ru, en (else the application's, else ru)
	Application document.Application // re-rendered as the card's pages
	PDF         []byte               // application.pdf exactly as signed
	PDFName     string               // "application.pdf"
	Created     time.Time            // the card's moment: its /CreationDate and first page
	IssuedBy    string               // "signkiosk <version>, kiosk <id>"
	Signatures  []Signature          // in order of GenTime (Build keeps that order stable)

	// Block is the signature block application.pdf was rendered with, so
	// the visualization shows what was signed; nil draws the unsigned form.
	Block *document.SignatureBlock

	// QR adds each signature's CMS as QR codes (the specification's chunked
	// format) on pages after its signature page.
	QR bool

	// Verified, when set, is the issuing system's own check of every
	// signature before it made the card; the information block says so.
	Verified *Verification
}

// Verification is the issuing system's check of the card's signatures.
type Verification struct {
	At         time.Time // when it was checked
	Indication string    // the report's overall result, e.g. TOTAL_PASSED
}

// Signature is one signature over the PDF and what was learnt checking it.
type Signature struct {
	CMS       []byte
	CMSName   string // "application.pdf.cms"
	Signer    *x509.Certificate
	GenTime   time.Time // the time stamp's genTime: the moment of signing
	TimeStamp TimeStampInfo
	OCSP      OCSPInfo
}

// TimeStampInfo describes the RFC 3161 time stamp token in the CMS.
type TimeStampInfo struct {
	TSA     string   // the TSA's name (its certificate subject, RFC 4514)
	Serial  *big.Int // TSTInfo.serialNumber
	Policy  string   // TSTInfo.policy, dotted OID
	GenTime time.Time
}

// OCSPInfo describes the OCSP response in the CMS's revocation values.
type OCSPInfo struct {
	Responder  string // the responder's name (RFC 4514)
	Status     string // good, revoked or unknown
	ProducedAt time.Time
	ThisUpdate time.Time
	NextUpdate time.Time // zero when the response has none
}

// maxFiles is what fpdf v0.9.0 embeds in order: it keys the EmbeddedFiles
// name tree "Attachement1", "Attachement2"…, and readers sort the tree by
// key, so a tenth file would be listed before the second.
const maxFiles = 9

// Build renders the card. The output is a pure function of in (dates come
// from Created, no /ID is written), so tests can compare bytes.
func Build(in Input) ([]byte, error) {
	if err := check(in); err != nil {
		return nil, err
	}
	in.Signatures = slices.Clone(in.Signatures)
	slices.SortStableFunc(in.Signatures, func(a, b Signature) int { return a.GenTime.Compare(b.GenTime) })
	c := layout{in: in, lang: cardLang(in.Lang, in.Application.Lang), clock: clock{loc: loadAlmaty()}}

	// The contents on page 1 name the pages of each part, known only once
	// everything is laid out: draw twice, the second time with the numbers.
	// Page numbers never change the layout (they sit in fixed cells), which
	// the comparison below makes sure of.
	_, parts, err := c.render(nil)
	if err != nil {
		return nil, err
	}
	out, again, err := c.render(parts)
	if err != nil {
		return nil, err
	}
	if *again != *parts {
		return nil, fmt.Errorf("card: layout changed between passes (%v, then %v)", *parts, *again)
	}
	return out, nil
}

// check refuses inputs the card cannot carry faithfully.
func check(in Input) error {
	if len(in.PDF) == 0 {
		return errors.New("card: no document")
	}
	if in.Created.IsZero() {
		return errors.New("card: no creation time")
	}
	if len(in.Signatures) == 0 {
		return errors.New("card: no signature")
	}
	if 1+len(in.Signatures) > maxFiles {
		return fmt.Errorf("card: %d signatures, at most %d", len(in.Signatures), maxFiles-1)
	}
	names := map[string]bool{}
	for i, name := range append([]string{in.PDFName}, sigNames(in.Signatures)...) {
		if err := checkName(name); err != nil {
			return fmt.Errorf("card: file %d: %w", i+1, err)
		}
		if names[name] {
			return fmt.Errorf("card: file name %q twice", name)
		}
		names[name] = true
	}
	for i, s := range in.Signatures {
		if len(s.CMS) == 0 {
			return fmt.Errorf("card: signature %d: no CMS", i+1)
		}
		if s.Signer == nil {
			return fmt.Errorf("card: signature %d: no signer certificate", i+1)
		}
		if s.GenTime.IsZero() {
			return fmt.Errorf("card: signature %d: no genTime", i+1)
		}
	}
	return nil
}

func sigNames(sigs []Signature) []string {
	names := make([]string, len(sigs))
	for i, s := range sigs {
		names[i] = s.CMSName
	}
	return names
}

// checkName accepts a name any file system can save: printable UTF-8,
// no path, not a dot name.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case len(name) > 200:
		return errors.New("name longer than 200 bytes")
	case name == "." || name == ".." || strings.ContainsAny(name, `/\:`):
		return fmt.Errorf("name %q is a path", name)
	case !strings.Contains(name, ".") || strings.HasSuffix(name, "."):
		return fmt.Errorf("name %q has no extension", name)
	}
	for _, r := range name {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return fmt.Errorf("name %q is not printable UTF-8", name)
		}
	}
	return nil
}
