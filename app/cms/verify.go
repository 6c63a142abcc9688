package cms

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"
)

// Errors Verify wraps, so callers (the package verifier) can say exactly
// what is wrong.
var (
	ErrMalformed     = errors.New("malformed CMS")
	ErrUnsupported   = errors.New("unsupported CMS")
	ErrNoSigner      = errors.New("signer certificate not in the CMS")
	ErrContentDigest = errors.New("content does not match the signed message digest")
	ErrCertHash      = errors.New("ESS signing-certificate does not match the signer certificate")
	ErrSignature     = errors.New("signature over the signed attributes is invalid")
	ErrUntrusted     = errors.New("signer certificate does not chain to a trusted root")
)

// maxCMSBytes bounds the input: a signature with a short chain is a few KB.
const maxCMSBytes = 1 << 20

// Verify checks a detached CMS made by SignDetached (or any single-signer
// RSA/SHA-256 CAdES-BES signature) against content and returns the signer
// certificate. The chain is checked at the signed signing-time, so a
// package stays verifiable after the certificate expires.
func Verify(cmsDER, content []byte, roots *x509.CertPool) (*x509.Certificate, error) {
	p, err := Parse(cmsDER)
	if err != nil {
		return nil, err
	}
	if !p.EContentType.Equal(oidData) || p.EContent != nil {
		return nil, fmt.Errorf("%w: not a detached id-data signature", ErrUnsupported)
	}
	if a := p.Signer.DigestAlgorithm; !a.Equal(oidSHA256) {
		return nil, fmt.Errorf("%w: digest algorithm %v", ErrUnsupported, a)
	}
	if a := p.Signer.SignatureAlgorithm; !a.Equal(oidRSAEncryption) && !a.Equal(oidSHA256WithRSA) {
		return nil, fmt.Errorf("%w: signature algorithm %v", ErrUnsupported, a)
	}
	signer := p.SignerCert()
	if signer == nil {
		return nil, ErrNoSigner
	}
	// CAdES-BES as SignDetached makes it: signing-time and the v2 ESS
	// attribute are required here (VerifySignerInfo also takes v1).
	if len(p.Signer.SignedAttrs) == 0 {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, errSignedAttrsAbsent)
	}
	if _, ok := p.SignedValue(oidSigningCertV2); !ok {
		return nil, fmt.Errorf("%w: signing-certificate-v2 missing", ErrMalformed)
	}
	st, ok := p.SignedValue(oidSigningTime)
	if !ok {
		return nil, fmt.Errorf("%w: signing-time missing", ErrMalformed)
	}
	var signingTime time.Time
	if err := UnmarshalAll(st.FullBytes, &signingTime); err != nil {
		return nil, fmt.Errorf("%w: signing-time: %v", ErrMalformed, err)
	}
	if err := p.VerifySignerInfoWith(signer, content); err != nil {
		return nil, err
	}

	inter := x509.NewCertPool()
	for _, c := range p.Certificates {
		if c != signer {
			inter.AddCert(c)
		}
	}
	if _, err := signer.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: signingTime,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUntrusted, err)
	}
	return signer, nil
}

// UnmarshalAll parses DER b into v and refuses trailing bytes (the
// simulator's key vault parses its PKCS#8 blobs with it too).
func UnmarshalAll(b []byte, v any) error {
	rest, err := asn1.Unmarshal(b, v)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return errors.New("trailing data")
	}
	return nil
}

// VerifySignerInfo checks p's signer with the certificate its signer
// identifier names in p.Certificates; see VerifySignerInfoWith.
func (p *Parsed) VerifySignerInfo(content []byte) (*x509.Certificate, error) {
	signer := p.SignerCert()
	if signer == nil {
		return nil, ErrNoSigner
	}
	if err := p.VerifySignerInfoWith(signer, content); err != nil {
		return nil, err
	}
	return signer, nil
}

// VerifySignerInfoWith checks, with cert (which the signer identifier must
// name): the content-type attribute against the eContentType, the
// message-digest attribute against the content (p.EContent when
// encapsulated, then content must be nil or equal to it; else the detached
// content), the ESS signing-certificate (v1 and/or v2) against cert, and
// the signature over the signed attributes (RSA PKCS#1 v1.5 or ECDSA with
// SHA-256/384/512). It checks no chain: callers do that at their own time.
func (p *Parsed) VerifySignerInfoWith(cert *x509.Certificate, content []byte) error {
	if cert == nil || !p.Signer.matches(cert) {
		return ErrNoSigner
	}
	if len(p.Signer.SignedAttrs) == 0 {
		return fmt.Errorf("%w: %v", ErrMalformed, errSignedAttrsAbsent)
	}
	hash, sigAlg, err := p.algorithms()
	if err != nil {
		return err
	}

	v, ok := p.SignedValue(oidContentType)
	var ct asn1.ObjectIdentifier
	if !ok || UnmarshalAll(v.FullBytes, &ct) != nil || !ct.Equal(p.EContentType) {
		return fmt.Errorf("%w: content-type attribute missing or not %v", ErrMalformed, p.EContentType)
	}
	v, ok = p.SignedValue(oidMessageDigest)
	var digest []byte
	if !ok || UnmarshalAll(v.FullBytes, &digest) != nil {
		return fmt.Errorf("%w: message-digest attribute missing or malformed", ErrMalformed)
	}
	if p.EContent != nil {
		if content != nil && !bytes.Equal(content, p.EContent) {
			return fmt.Errorf("%w: the given content is not the encapsulated one", ErrContentDigest)
		}
		content = p.EContent
	}
	h := hash.New()
	h.Write(content)
	if !bytes.Equal(digest, h.Sum(nil)) {
		return ErrContentDigest
	}
	if err := p.checkSigningCertificate(cert); err != nil {
		return err
	}
	if err := cert.CheckSignature(sigAlg, p.Signer.SignedAttrs, p.Signer.Signature); err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return nil
}
