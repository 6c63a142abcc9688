package kiosk

import (
	"errors"
	"fmt"

	"almatel.kz/signkiosk/app/cades"
	"almatel.kz/signkiosk/app/card"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/session"
)

// buildCard makes the electronic-document card of a sealed session: the
// application drawn as signed, its signature page from what the long-term
// CMS holds, and application.pdf with its .cms embedded. The card's moment
// is the time stamp's genTime: the card is made seconds after it, and the
// same session always gives the same card.
func buildCard(s session.State, issuedBy string) ([]byte, error) {
	a, err := Application(s)
	if err != nil {
		return nil, fmt.Errorf("card: %w", err)
	}
	block, err := signatureBlock(s)
	if err != nil {
		return nil, fmt.Errorf("card: %w", err)
	}
	// Only the details are wanted here: the sealer already validated the
	// signature against the trusted roots before it was handed back, which
	// the card states (Verified).
	res := cades.Validate(s.Signed.CMS, s.Signed.Document, cades.Options{At: s.Signed.TimeStamped})
	if res.Signer == nil || res.Token == nil || res.OCSP == nil {
		return nil, errors.New("card: the signature is not sealed (no signer, time stamp or OCSP response)")
	}
	sig := card.Signature{
		CMS: s.Signed.CMS, CMSName: pack.NameCMS, Signer: res.Signer, GenTime: res.Token.GenTime,
		TimeStamp: card.TimeStampInfo{Serial: res.Token.Serial, Policy: res.Token.Policy.String(), GenTime: res.Token.GenTime},
		OCSP: card.OCSPInfo{Status: res.Report.OCSP.Status, Responder: res.Report.OCSP.Responder, ProducedAt: res.OCSP.ProducedAt,
			ThisUpdate: res.OCSP.ThisUpdate, NextUpdate: res.OCSP.NextUpdate},
	}
	if res.Token.Signer != nil {
		sig.TimeStamp.TSA = res.Token.Signer.Subject.String()
	}
	b, err := card.Build(card.Input{
		Lang: s.Lang, Application: a, Block: block, PDF: s.Signed.Document, PDFName: pack.NamePDF,
		// No QR codes of the CMS: they cost ~230 ms more per package here
		// (docs/BENCHMARKS.md), past the 300 ms aim from password to done;
		// the CMS is embedded in the card anyway.
		Created: res.Token.GenTime, IssuedBy: issuedBy, Signatures: []card.Signature{sig},
		Verified: &card.Verification{At: res.Token.GenTime, Indication: string(cades.TotalPassed)},
	})
	if err != nil {
		return nil, fmt.Errorf("card: %w", err)
	}
	return b, nil
}
