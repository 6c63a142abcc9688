package tsp

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"net/url"
	"slices"

	"almatel.kz/signkiosk/app/cms"
)

// VerifyOptions are what Verify trusts.
type VerifyOptions struct {
	Roots         *x509.CertPool      // required: the trusted CA(s) of the TSA
	Intermediates []*x509.Certificate // besides the token's own certificates
	Signer        *x509.Certificate   // the TSA certificate, when the token lacks it
}

// Verify checks that t is a valid time stamp over data: the imprint is
// the hash of data (SHA-256/384/512, the token's algorithm); the CMS
// signature and its ESS signing-certificate(-v2) binding; the TSA
// certificate is fit (extendedKeyUsage exactly id-kp-timeStamping and
// critical, RFC 3161 §2.3; keyUsage, if present, only digitalSignature
// and/or nonRepudiation; the tsa name, if present, is the certificate's);
// and the TSA chain to opts.Roots is valid at GenTime.
func (t *Token) Verify(data []byte, opts VerifyOptions) error {
	if t.parsed == nil {
		return fmt.Errorf("%w: token not made by ParseToken", ErrMalformed)
	}
	h, ok := cms.HashOf(t.HashAlgorithm)
	if !ok {
		return fmt.Errorf("%w: unsupported hash algorithm %v", ErrImprint, t.HashAlgorithm)
	}
	d := h.New()
	d.Write(data)
	if !bytes.Equal(d.Sum(nil), t.Imprint) {
		return ErrImprint
	}
	signer := t.Signer
	if signer == nil {
		signer = opts.Signer
	}
	if signer == nil {
		return fmt.Errorf("%w: the token carries no TSA certificate and none was given", ErrTSACert)
	}
	if err := t.parsed.VerifySignerInfoWith(signer, nil); err != nil {
		return fmt.Errorf("%w: %w", ErrTokenSignature, err)
	}
	if err := CheckTSACert(signer); err != nil {
		return err
	}
	if len(t.tsa.FullBytes) != 0 && !namesCert(t.tsa, signer) {
		return fmt.Errorf("%w: the token's tsa name %q is not the certificate's", ErrTSACert, t.TSAName)
	}
	if opts.Roots == nil {
		return fmt.Errorf("%w: no trusted roots given", ErrTSAUntrusted)
	}
	inter := x509.NewCertPool()
	for _, c := range slices.Concat(opts.Intermediates, t.Certificates) {
		if !c.Equal(signer) {
			inter.AddCert(c)
		}
	}
	if _, err := signer.Verify(x509.VerifyOptions{
		Roots: opts.Roots, Intermediates: inter, CurrentTime: t.GenTime,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	}); err != nil {
		return fmt.Errorf("%w: %v", ErrTSAUntrusted, err)
	}
	return nil
}

// CheckTSACert checks what RFC 3161 §2.3 asks of a TSA certificate: an
// extendedKeyUsage extension, marked critical, holding id-kp-timeStamping
// alone; and a keyUsage, if present, of digitalSignature and/or
// nonRepudiation only (as OpenSSL checks it). Errors wrap ErrTSACert.
func CheckTSACert(c *x509.Certificate) error {
	i := slices.IndexFunc(c.Extensions, func(e pkix.Extension) bool { return e.Id.Equal(oidExtKeyUsage) })
	if i < 0 {
		return fmt.Errorf("%w: no extendedKeyUsage", ErrTSACert)
	}
	if !c.Extensions[i].Critical {
		return fmt.Errorf("%w: extendedKeyUsage is not critical", ErrTSACert)
	}
	var ekus []asn1.ObjectIdentifier
	if err := cms.UnmarshalAll(c.Extensions[i].Value, &ekus); err != nil {
		return fmt.Errorf("%w: extendedKeyUsage: %v", ErrTSACert, err)
	}
	if len(ekus) != 1 || !ekus[0].Equal(oidTimeStamping) {
		return fmt.Errorf("%w: extendedKeyUsage %v, want only id-kp-timeStamping", ErrTSACert, ekus)
	}
	const allowed = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	if ku := c.KeyUsage; ku != 0 && (ku&^allowed != 0 || ku&allowed == 0) {
		return fmt.Errorf("%w: keyUsage %#x beyond digitalSignature/nonRepudiation", ErrTSACert, ku)
	}
	return nil
}

// namesCert: a directoryName must be the certificate's subject; the
// string forms must be among its subjectAltNames.
func namesCert(gn asn1.RawValue, c *x509.Certificate) bool {
	switch gn.Tag {
	case gnDirectoryName:
		return bytes.Equal(gn.Bytes, c.RawSubject)
	case gnDNSName:
		return slices.Contains(c.DNSNames, string(gn.Bytes))
	case gnRFC822Name:
		return slices.Contains(c.EmailAddresses, string(gn.Bytes))
	case gnURI:
		return slices.ContainsFunc(c.URIs, func(u *url.URL) bool { return u.String() == string(gn.Bytes) })
	}
	return false
}
