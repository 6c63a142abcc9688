package cades

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"golang.org/x/crypto/ocsp"

	"almatel.kz/signkiosk/app/cms"
	"almatel.kz/signkiosk/app/tsp"
)

// maxOCSPBytes bounds a responder's answer: one response with a
// certificate is a few kilobytes.
const maxOCSPBytes = 64 << 10

// Sealer turns a provider's CMS into a long-term one: it keeps what the
// provider already put in (a real provider may return both) and adds what
// is missing — the signature time stamp first, then the OCSP response made
// after it — and hands back only a signature that Validate passes.
type Sealer struct {
	TSA *tsp.Client
	// OCSPURL is the responder; empty takes the signer certificate's AIA.
	OCSPURL string
	// HTTP makes the OCSP calls; nil: a client with a 10 s timeout.
	HTTP *http.Client
	// Roots are what the result must validate against (required: nothing
	// is taken on the services' word).
	Roots *x509.CertPool
	Now   func() time.Time
}

// Seal implements the kiosk's Sealer: the long-term CMS and its genTime.
// content is the signed document, for the final validation.
func (s *Sealer) Seal(ctx context.Context, cmsDER, content []byte) ([]byte, time.Time, error) {
	if s.Roots == nil {
		return nil, time.Time{}, errors.New("seal: no trusted roots configured")
	}
	p, err := cms.Parse(cmsDER)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("seal: %w", err)
	}
	signer := p.SignerCert()
	if signer == nil {
		return nil, time.Time{}, fmt.Errorf("seal: %w", cms.ErrNoSigner)
	}
	var attrs []cms.Attribute
	var certs []*x509.Certificate

	var tok *tsp.Token
	if vals := p.UnsignedValues(tsp.OIDSignatureTimeStampToken); len(vals) > 0 {
		if tok, err = tsp.ParseToken(vals[0].FullBytes); err != nil {
			return nil, time.Time{}, fmt.Errorf("seal: the provider's time stamp: %w", err)
		}
	} else {
		if s.TSA == nil {
			return nil, time.Time{}, fmt.Errorf("seal: %w: no time-stamp service configured", ErrTSAUnavailable)
		}
		if tok, err = s.TSA.Stamp(ctx, p.Signer.Signature); err != nil {
			if errors.Is(err, context.Canceled) {
				return nil, time.Time{}, err
			}
			return nil, time.Time{}, fmt.Errorf("seal: %w: %v", ErrTSAUnavailable, err)
		}
		attrs = append(attrs, cms.Attribute{Type: tsp.OIDSignatureTimeStampToken, Values: []asn1.RawValue{{FullBytes: tok.Raw}}})
		if tok.Signer != nil {
			certs = append(certs, tok.Signer)
		}
	}

	if !hasFreshOCSP(p, signer, tok.GenTime) {
		if len(p.UnsignedValues(OIDRevocationValues)) > 0 {
			// RFC 5126 allows one revocation-values attribute: one without a
			// usable OCSP response cannot be mended here.
			return nil, time.Time{}, fmt.Errorf("seal: %w: the revocation values hold no OCSP response within %s of the time stamp", ErrNotLongTerm, MaxOCSPSkew)
		}
		issuer := issuerOf(signer, p.Certificates)
		if issuer == nil {
			return nil, time.Time{}, fmt.Errorf("seal: %w: the signer's issuing CA is not in the CMS", ErrNotLongTerm)
		}
		raw, resp, err := s.askOCSP(ctx, signer, issuer)
		if err != nil {
			return nil, time.Time{}, err
		}
		if d := resp.ThisUpdate.Sub(tok.GenTime).Abs(); d > MaxOCSPSkew {
			return nil, time.Time{}, fmt.Errorf("seal: %w: OCSP thisUpdate is %s from the time stamp", ErrOCSPUnavailable, d.Round(time.Second))
		}
		basic, err := basicFromResponse(raw)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("seal: %w: %v", ErrOCSPUnavailable, err)
		}
		v, err := marshalRevocationValues(basic)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("seal: %w", err)
		}
		attrs = append(attrs, cms.Attribute{Type: OIDRevocationValues, Values: []asn1.RawValue{v}})
		if resp.Certificate != nil {
			certs = append(certs, resp.Certificate)
		}
	}

	out := cmsDER
	if len(attrs) > 0 {
		if out, err = cms.AddUnsigned(cmsDER, attrs, certs); err != nil {
			return nil, time.Time{}, fmt.Errorf("seal: %w", err)
		}
	}
	res := Validate(out, content, Options{Roots: s.Roots, At: s.now()})
	if !res.Report.Passed() {
		c := res.Report.Failing()
		if c.ID == CheckOCSPStatus {
			return nil, time.Time{}, fmt.Errorf("seal: %w: %s", ErrRevoked, c.Reason)
		}
		return nil, time.Time{}, fmt.Errorf("seal: %w: %s: %s", ErrNotLongTerm, c.ID, c.Reason)
	}
	return out, tok.GenTime, nil
}

func (s *Sealer) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// hasFreshOCSP reports whether the CMS already holds an OCSP response for
// signer within MaxOCSPSkew of genTime.
func hasFreshOCSP(p *cms.Parsed, signer *x509.Certificate, genTime time.Time) bool {
	issuer := issuerOf(signer, p.Certificates)
	if issuer == nil {
		return false
	}
	for _, v := range p.UnsignedValues(OIDRevocationValues) {
		raws, err := ocspResponses(v)
		if err != nil {
			return false
		}
		if resp, _, err := pickOCSP(raws, signer, issuer, genTime); err == nil && resp.ThisUpdate.Sub(genTime).Abs() <= MaxOCSPSkew {
			return true
		}
	}
	return false
}

// askOCSP asks the responder about signer (RFC 6960 over HTTP POST). A
// revoked or unknown status is ErrRevoked; trouble reaching it is
// ErrOCSPUnavailable.
func (s *Sealer) askOCSP(ctx context.Context, signer, issuer *x509.Certificate) ([]byte, *ocsp.Response, error) {
	url := s.OCSPURL
	if url == "" && len(signer.OCSPServer) > 0 {
		url = signer.OCSPServer[0]
	}
	if url == "" {
		return nil, nil, fmt.Errorf("seal: %w: no OCSP responder configured or named by the certificate", ErrOCSPUnavailable)
	}
	reqDER, err := ocsp.CreateRequest(signer, issuer, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("seal: OCSP request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(reqDER))
	if err != nil {
		return nil, nil, fmt.Errorf("seal: OCSP request: %w", err)
	}
	req.Header.Set("Content-Type", "application/ocsp-request")
	req.Header.Set("Accept", "application/ocsp-response")
	hc := s.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	hr, err := hc.Do(req)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("seal: %w: %v", ErrOCSPUnavailable, err)
	}
	defer hr.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(hr.Body, maxOCSPBytes+1))
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("seal: %w: reading the answer: %v", ErrOCSPUnavailable, err)
	case hr.StatusCode != http.StatusOK:
		return nil, nil, fmt.Errorf("seal: %w: HTTP %d", ErrOCSPUnavailable, hr.StatusCode)
	case len(raw) > maxOCSPBytes:
		return nil, nil, fmt.Errorf("seal: %w: answer larger than %d bytes", ErrOCSPUnavailable, maxOCSPBytes)
	}
	resp, err := ocsp.ParseResponseForCert(raw, signer, issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("seal: %w: %v", ErrOCSPUnavailable, err)
	}
	switch resp.Status {
	case ocsp.Good:
		return raw, resp, nil
	case ocsp.Revoked:
		return nil, nil, fmt.Errorf("seal: %w: revoked %s", ErrRevoked, resp.RevokedAt.UTC().Format(time.RFC3339))
	}
	return nil, nil, fmt.Errorf("seal: %w: the responder does not know the certificate", ErrRevoked)
}
