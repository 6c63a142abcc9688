package cms

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
)

// oidSigningCertV1 is the ESS signing-certificate attribute (RFC 2634),
// with SHA-1 hashes: what many time-stamp authorities still send.
var oidSigningCertV1 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}

// essCertIDParse reads both ESSCertID (v1: no hashAlgorithm) and
// ESSCertIDv2; the policies after the list are ignored.
type essCertIDParse struct {
	HashAlgorithm pkix.AlgorithmIdentifier `asn1:"optional"`
	CertHash      []byte
	IssuerSerial  issuerSerial `asn1:"optional"`
}

type signingCertificateParse struct {
	Certs    []essCertIDParse
	Policies asn1.RawValue `asn1:"optional"`
}

// checkSigningCertificate requires a signing-certificate attribute (v1,
// v2 or both) and that each binds cert: its first ESSCertID names the
// signing certificate (RFC 5035 §3).
func (p *Parsed) checkSigningCertificate(cert *x509.Certificate) error {
	found := false
	for _, v := range []struct {
		oid asn1.ObjectIdentifier
		v2  bool
	}{{oidSigningCertV1, false}, {oidSigningCertV2, true}} {
		raw, ok := p.SignedValue(v.oid)
		if !ok {
			continue
		}
		found = true
		var sc signingCertificateParse
		if err := UnmarshalAll(raw.FullBytes, &sc); err != nil || len(sc.Certs) == 0 {
			return fmt.Errorf("%w: signing-certificate %v: %v", ErrMalformed, v.oid, err)
		}
		id := sc.Certs[0]
		h := crypto.SHA1
		if v.v2 {
			h = crypto.SHA256
			if alg := id.HashAlgorithm.Algorithm; len(alg) != 0 {
				var ok bool
				if h, ok = HashOf(alg); !ok {
					return fmt.Errorf("%w: signing-certificate-v2 hash %v", ErrUnsupported, alg)
				}
			}
		} else if len(id.HashAlgorithm.Algorithm) != 0 {
			return fmt.Errorf("%w: signing-certificate (v1) with a hash algorithm", ErrMalformed)
		}
		var sum []byte
		if h == crypto.SHA1 {
			s := sha1.Sum(cert.Raw)
			sum = s[:]
		} else {
			d := h.New()
			d.Write(cert.Raw)
			sum = d.Sum(nil)
		}
		if !bytes.Equal(id.CertHash, sum) {
			return ErrCertHash
		}
		if id.IssuerSerial.Serial != nil && !issuerSerialNames(id.IssuerSerial, cert) {
			return fmt.Errorf("%w: issuerSerial names another certificate", ErrCertHash)
		}
	}
	if !found {
		return fmt.Errorf("%w: no signing-certificate attribute", ErrMalformed)
	}
	return nil
}

// issuerSerialNames reports whether is names cert: its serial, and a
// directoryName among the GeneralNames equal to cert's issuer.
func issuerSerialNames(is issuerSerial, cert *x509.Certificate) bool {
	if is.Serial.Cmp(cert.SerialNumber) != 0 {
		return false
	}
	var names []asn1.RawValue
	if UnmarshalAll(is.Issuer.FullBytes, &names) != nil {
		return false
	}
	for _, n := range names {
		if n.Class == asn1.ClassContextSpecific && n.Tag == 4 && bytes.Equal(n.Bytes, cert.RawIssuer) {
			return true
		}
	}
	return false
}
