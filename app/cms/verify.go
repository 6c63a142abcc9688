package cms

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Errors Verify wraps, so callers (the package verifier) can say exactly
// what is wrong.
var (
	ErrMalformed     = errors.New("malformed CMS")
	ErrUnsupported   = errors.New("unsupported CMS")
	ErrNoSigner      = errors.New("signer certificate not in the CMS")
	ErrContentDigest = errors.New("content does not match the signed message digest")
	ErrCertHash      = errors.New("signing-certificate-v2 does not match the signer certificate")
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
	if len(cmsDER) > maxCMSBytes {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(cmsDER))
	}
	var ci contentInfo
	if err := UnmarshalAll(cmsDER, &ci); err != nil {
		return nil, fmt.Errorf("%w: content info: %v", ErrMalformed, err)
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, fmt.Errorf("%w: content type %v is not signed-data", ErrUnsupported, ci.ContentType)
	}
	var sd signedData
	if err := UnmarshalAll(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("%w: signed data: %v", ErrMalformed, err)
	}
	if !sd.EncapContentInfo.EContentType.Equal(oidData) || len(sd.EncapContentInfo.EContent.FullBytes) != 0 {
		return nil, fmt.Errorf("%w: not a detached id-data signature", ErrUnsupported)
	}
	if len(sd.SignerInfos) != 1 {
		return nil, fmt.Errorf("%w: %d signers, want 1", ErrUnsupported, len(sd.SignerInfos))
	}
	si := sd.SignerInfos[0]
	if !si.DigestAlgorithm.Algorithm.Equal(oidSHA256) {
		return nil, fmt.Errorf("%w: digest algorithm %v", ErrUnsupported, si.DigestAlgorithm.Algorithm)
	}
	if a := si.SignatureAlgorithm.Algorithm; !a.Equal(oidRSAEncryption) && !a.Equal(oidSHA256WithRSA) {
		return nil, fmt.Errorf("%w: signature algorithm %v", ErrUnsupported, a)
	}
	certs, err := x509.ParseCertificates(sd.Certificates.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: certificates: %v", ErrMalformed, err)
	}
	signer, others := findSigner(certs, si.SID)
	if signer == nil {
		return nil, ErrNoSigner
	}
	attrs, err := parseSignedAttrs(si.SignedAttrs)
	if err != nil {
		return nil, err
	}

	sum := sha256.Sum256(content)
	if !bytes.Equal(attrs.digest, sum[:]) {
		return nil, ErrContentDigest
	}
	certHash := sha256.Sum256(signer.Raw)
	if !bytes.Equal(attrs.certHash, certHash[:]) {
		return nil, ErrCertHash
	}
	// The signature covers the attributes re-tagged as a universal SET.
	signed := slices.Clone(si.SignedAttrs.FullBytes)
	signed[0] = 0x31
	if err := signer.CheckSignature(x509.SHA256WithRSA, signed, si.Signature); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}

	inter := x509.NewCertPool()
	for _, c := range others {
		inter.AddCert(c)
	}
	if _, err := signer.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: attrs.signingTime,
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

func findSigner(certs []*x509.Certificate, sid issuerAndSerial) (*x509.Certificate, []*x509.Certificate) {
	if sid.Serial == nil {
		return nil, nil
	}
	for i, c := range certs {
		if c.SerialNumber.Cmp(sid.Serial) == 0 && bytes.Equal(c.RawIssuer, sid.Issuer.FullBytes) {
			return c, append(slices.Clone(certs[:i]), certs[i+1:]...)
		}
	}
	return nil, nil
}

// signedAttrs holds the values of the attributes Verify needs.
type signedAttrs struct {
	digest      []byte
	signingTime time.Time
	certHash    []byte
}

// parseSignedAttrs requires each CAdES-BES attribute exactly once, with one value.
func parseSignedAttrs(raw asn1.RawValue) (*signedAttrs, error) {
	if len(raw.FullBytes) == 0 {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, errSignedAttrsAbsent)
	}
	set := slices.Clone(raw.FullBytes)
	set[0] = 0x31 // parse the [0] IMPLICIT field as the SET OF it stands for
	var list []attribute
	rest, err := asn1.UnmarshalWithParams(set, &list, "set")
	if err != nil {
		return nil, fmt.Errorf("%w: signed attributes: %v", ErrMalformed, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: signed attributes: trailing data", ErrMalformed)
	}
	seen := map[string][]byte{}
	for _, a := range list {
		k := a.Type.String()
		if _, dup := seen[k]; dup {
			return nil, fmt.Errorf("%w: attribute %s repeated", ErrMalformed, k)
		}
		if len(a.Values) != 1 {
			return nil, fmt.Errorf("%w: attribute %s has %d values", ErrMalformed, k, len(a.Values))
		}
		seen[k] = a.Values[0].FullBytes
	}
	get := func(oid asn1.ObjectIdentifier) ([]byte, error) {
		b, ok := seen[oid.String()]
		if !ok {
			return nil, fmt.Errorf("%w: attribute %v missing", ErrMalformed, oid)
		}
		return b, nil
	}
	var out signedAttrs

	b, err := get(oidContentType)
	if err != nil {
		return nil, err
	}
	var ct asn1.ObjectIdentifier
	if err := UnmarshalAll(b, &ct); err != nil || !ct.Equal(oidData) {
		return nil, fmt.Errorf("%w: content-type attribute is not id-data", ErrMalformed)
	}

	if b, err = get(oidMessageDigest); err != nil {
		return nil, err
	}
	if err := UnmarshalAll(b, &out.digest); err != nil {
		return nil, fmt.Errorf("%w: message-digest: %v", ErrMalformed, err)
	}

	if b, err = get(oidSigningTime); err != nil {
		return nil, err
	}
	if err := UnmarshalAll(b, &out.signingTime); err != nil {
		return nil, fmt.Errorf("%w: signing-time: %v", ErrMalformed, err)
	}

	if b, err = get(oidSigningCertV2); err != nil {
		return nil, err
	}
	var sc signingCertificateV2
	if err := UnmarshalAll(b, &sc); err != nil || len(sc.Certs) == 0 {
		return nil, fmt.Errorf("%w: signing-certificate-v2: %v", ErrMalformed, err)
	}
	id := sc.Certs[0]
	if alg := id.HashAlgorithm.Algorithm; len(alg) != 0 && !alg.Equal(oidSHA256) {
		return nil, fmt.Errorf("%w: signing-certificate-v2 hash %v", ErrUnsupported, alg)
	}
	out.certHash = id.CertHash
	return &out, nil
}
