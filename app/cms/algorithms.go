package cms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	_ "crypto/sha512" // registers SHA-384/512 for crypto.Hash.New
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
)

// Algorithms beyond the SHA-256/RSA pair SignDetached uses, for signatures
// and time stamps made elsewhere.
var (
	oidSHA384          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidSHA384WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
)

var digestAlgorithms = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}{{oidSHA256, crypto.SHA256}, {oidSHA384, crypto.SHA384}, {oidSHA512, crypto.SHA512}}

// signatureAlgorithms maps a SignerInfo's signatureAlgorithm to the x509
// algorithm checking it; hash is the digest it implies (0: rsaEncryption,
// whose digest is the digestAlgorithm's).
var signatureAlgorithms = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
	rsa  bool
}{
	{oidRSAEncryption, 0, true},
	{oidSHA256WithRSA, crypto.SHA256, true},
	{oidSHA384WithRSA, crypto.SHA384, true},
	{oidSHA512WithRSA, crypto.SHA512, true},
	{oidECDSAWithSHA256, crypto.SHA256, false},
	{oidECDSAWithSHA384, crypto.SHA384, false},
	{oidECDSAWithSHA512, crypto.SHA512, false},
}

// HashOf returns the hash an AlgorithmIdentifier OID names (SHA-256, -384
// or -512), or false; the time-stamp code reads message imprints with it.
func HashOf(oid asn1.ObjectIdentifier) (crypto.Hash, bool) {
	for _, d := range digestAlgorithms {
		if d.oid.Equal(oid) {
			return d.hash, true
		}
	}
	return 0, false
}

// HashOID returns the AlgorithmIdentifier OID of h (SHA-256, -384 or -512).
func HashOID(h crypto.Hash) (asn1.ObjectIdentifier, bool) {
	for _, d := range digestAlgorithms {
		if d.hash == h {
			return d.oid, true
		}
	}
	return nil, false
}

// algorithms returns the signer's digest and the x509 algorithm that
// checks its signature; a signature algorithm naming another digest than
// digestAlgorithm is refused.
func (p *Parsed) algorithms() (crypto.Hash, x509.SignatureAlgorithm, error) {
	hash, ok := HashOf(p.Signer.DigestAlgorithm)
	if !ok {
		return 0, 0, fmt.Errorf("%w: digest algorithm %v", ErrUnsupported, p.Signer.DigestAlgorithm)
	}
	for _, s := range signatureAlgorithms {
		if !s.oid.Equal(p.Signer.SignatureAlgorithm) {
			continue
		}
		if s.hash != 0 && s.hash != hash {
			break
		}
		return hash, x509Algorithm(s.rsa, hash), nil
	}
	return 0, 0, fmt.Errorf("%w: signature algorithm %v with digest %v", ErrUnsupported,
		p.Signer.SignatureAlgorithm, p.Signer.DigestAlgorithm)
}

func x509Algorithm(isRSA bool, h crypto.Hash) x509.SignatureAlgorithm {
	switch {
	case isRSA && h == crypto.SHA256:
		return x509.SHA256WithRSA
	case isRSA && h == crypto.SHA384:
		return x509.SHA384WithRSA
	case isRSA && h == crypto.SHA512:
		return x509.SHA512WithRSA
	case h == crypto.SHA256:
		return x509.ECDSAWithSHA256
	case h == crypto.SHA384:
		return x509.ECDSAWithSHA384
	default:
		return x509.ECDSAWithSHA512
	}
}

// signatureAlgorithm is the SignerInfo signatureAlgorithm for key and h:
// rsaEncryption with NULL parameters (what SignDetached has always
// written) or ecdsa-with-SHAn without parameters (RFC 5758).
func signatureAlgorithm(pub crypto.PublicKey, h crypto.Hash) (pkix.AlgorithmIdentifier, error) {
	switch pub.(type) {
	case *rsa.PublicKey:
		return pkix.AlgorithmIdentifier{Algorithm: oidRSAEncryption, Parameters: asn1.NullRawValue}, nil
	case *ecdsa.PublicKey:
		for _, s := range signatureAlgorithms {
			if !s.rsa && s.hash == h {
				return pkix.AlgorithmIdentifier{Algorithm: s.oid}, nil
			}
		}
	}
	return pkix.AlgorithmIdentifier{}, errKeyType
}
