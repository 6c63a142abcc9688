package kiosk

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"

	"almatel.kz/signkiosk/app/document"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/assets"
)

// Application builds the application a session shows and signs.
func Application(s session.State) (document.Application, error) {
	clause, err := assets.Text(s.Lang, "application")
	if err != nil {
		return document.Application{}, fmt.Errorf("application clause: %w", err)
	}
	return document.Build(s.Lang, s.Ticket.Order, s.Doc, s.Started, string(clause)), nil
}

// PDFDocuments renders the application as the PDF the subscriber signs. Its
// signature block names the issued certificate and the moment the subscriber
// asked to sign (the session's own clock), so the bytes are fixed before the
// provider signs them.
type PDFDocuments struct{}

// Render implements Documents.
func (PDFDocuments) Render(s session.State) ([]byte, error) {
	a, err := Application(s)
	if err != nil {
		return nil, err
	}
	block, err := signatureBlock(s)
	if err != nil {
		return nil, err
	}
	return a.PDF(block)
}

func signatureBlock(s session.State) (*document.SignatureBlock, error) {
	if s.Cert == nil {
		return nil, nil
	}
	b, _ := pem.Decode([]byte(s.Cert.Certificate))
	if b == nil {
		return nil, fmt.Errorf("signature block: certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signature block: %w", err)
	}
	blk := &document.SignatureBlock{
		CertSerial: strings.ToUpper(cert.SerialNumber.Text(16)),
		Signer:     cert.Subject.CommonName,
	}
	for _, m := range s.Marks {
		if m.Step == session.StepSigning {
			blk.SignedAt = m.At
		}
	}
	return blk, nil
}
