package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// oidTestContent stands for a non-data content type (the TSA uses id-ct-TSTInfo).
var oidTestContent = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}

func (p *pki) ecdsaSigner(t *testing.T, curve elliptic.Curve) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(77), Subject: pkix.Name{CommonName: "EC signer"},
		NotBefore: p.signing.Add(-time.Minute), NotAfter: p.signing.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

func TestSignEncapsulated(t *testing.T) {
	p := newPKI(t)
	ec256, ec256Cert := p.ecdsaSigner(t, elliptic.P256())
	ec384, ec384Cert := p.ecdsaSigner(t, elliptic.P384())
	for _, tc := range []struct {
		name string
		key  crypto.Signer
		cert *x509.Certificate
		opts EncapsulatedOptions
		sig  asn1.ObjectIdentifier
		dig  asn1.ObjectIdentifier
	}{
		{"RSA SHA-256", p.key, p.cert, EncapsulatedOptions{}, oidRSAEncryption, oidSHA256},
		{"RSA SHA-512 with signing-time", p.key, p.cert, EncapsulatedOptions{Hash: crypto.SHA512, SigningTime: p.signing}, oidRSAEncryption, oidSHA512},
		{"ECDSA P-256 SHA-384", ec256, ec256Cert, EncapsulatedOptions{Hash: crypto.SHA384}, oidECDSAWithSHA384, oidSHA384},
		{"ECDSA P-384 SHA-256", ec384, ec384Cert, EncapsulatedOptions{}, oidECDSAWithSHA256, oidSHA256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			der, err := SignEncapsulated(oidTestContent, testContent, tc.key, tc.cert, []*x509.Certificate{p.ca}, tc.opts)
			if err != nil {
				t.Fatalf("SignEncapsulated: %v", err)
			}
			parsed, err := Parse(der)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !parsed.EContentType.Equal(oidTestContent) || !bytes.Equal(parsed.EContent, testContent) {
				t.Errorf("content %v %q", parsed.EContentType, parsed.EContent)
			}
			if !parsed.Signer.DigestAlgorithm.Equal(tc.dig) || !parsed.Signer.SignatureAlgorithm.Equal(tc.sig) {
				t.Errorf("algorithms %v %v", parsed.Signer.DigestAlgorithm, parsed.Signer.SignatureAlgorithm)
			}
			if _, ok := parsed.SignedValue(oidSigningTime); ok != !tc.opts.SigningTime.IsZero() {
				t.Errorf("signing-time present: %v", ok)
			}
			if v := signedDataVersion(t, der); v != 3 {
				t.Errorf("SignedData version %d, want 3 (content is not id-data)", v)
			}
			if c, err := parsed.VerifySignerInfo(nil); err != nil || !c.Equal(tc.cert) {
				t.Errorf("VerifySignerInfo: %v", err)
			}
			if _, err := parsed.VerifySignerInfo(testContent); err != nil {
				t.Errorf("VerifySignerInfo with the same content: %v", err)
			}
		})
	}
}

func signedDataVersion(t *testing.T, der []byte) int {
	t.Helper()
	var ci contentInfo
	var sd parsedSignedData
	if UnmarshalAll(der, &ci) != nil || UnmarshalAll(ci.Content.Bytes, &sd) != nil {
		t.Fatal("cannot read SignedData")
	}
	return sd.Version
}

func TestSignEncapsulatedOmitCertificates(t *testing.T) {
	p := newPKI(t)
	der, err := SignEncapsulated(oidTestContent, nil, p.key, p.cert, []*x509.Certificate{p.ca}, EncapsulatedOptions{OmitCertificates: true})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Certificates != nil || parsed.EContent == nil || len(parsed.EContent) != 0 {
		t.Fatalf("certificates %d, eContent %v", len(parsed.Certificates), parsed.EContent)
	}
	if _, err := parsed.VerifySignerInfo(nil); !errors.Is(err, ErrNoSigner) {
		t.Errorf("no certificate: %v", err)
	}
	if err := parsed.VerifySignerInfoWith(p.cert, nil); err != nil {
		t.Errorf("with the certificate given: %v", err)
	}
}

func TestSignEncapsulatedRefuses(t *testing.T) {
	p := newPKI(t)
	if _, err := SignEncapsulated(oidTestContent, testContent, p.caKey, p.cert, nil, EncapsulatedOptions{}); !errors.Is(err, errKeyCertMismatch) {
		t.Errorf("key not matching: %v", err)
	}
	if _, err := SignEncapsulated(oidTestContent, testContent, p.key, p.cert, nil, EncapsulatedOptions{Hash: crypto.SHA1}); !errors.Is(err, errHash) {
		t.Errorf("SHA-1: %v", err)
	}
	if _, err := SignEncapsulated(nil, testContent, p.key, p.cert, nil, EncapsulatedOptions{}); err == nil {
		t.Error("no content type accepted")
	}
}

// TestSignEncapsulatedOpenSSL: openssl verifies and prints what it signed.
func TestSignEncapsulatedOpenSSL(t *testing.T) {
	openssl := needOpenSSL(t)
	p := newPKI(t)
	ecKey, ecCert := p.ecdsaSigner(t, elliptic.P256())
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	writeFile(t, ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.ca.Raw}))
	for name, s := range map[string]struct {
		key  crypto.Signer
		cert *x509.Certificate
	}{"rsa": {p.key, p.cert}, "ecdsa": {ecKey, ecCert}} {
		der, err := SignEncapsulated(oidTestContent, testContent, s.key, s.cert, nil, EncapsulatedOptions{Hash: crypto.SHA384})
		if err != nil {
			t.Fatal(err)
		}
		in, out := filepath.Join(dir, name+".cms"), filepath.Join(dir, name+".out")
		writeFile(t, in, der)
		res := runOpenSSL(t, openssl, "cms", "-verify", "-inform", "DER", "-in", in, "-CAfile", ca, "-purpose", "any", "-out", out)
		if !strings.Contains(res, "Verification successful") {
			t.Errorf("%s: openssl: %s", name, res)
		}
		if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, testContent) {
			t.Errorf("%s: openssl extracted %q", name, got)
		}
	}
}

// TestEncapsulatedFixture keeps FuzzParse's second seed valid: an
// encapsulated signature with an unsigned attribute (go test ./app/cms
// -run TestEncapsulatedFixture -update rewrites it).
func TestEncapsulatedFixture(t *testing.T) {
	if *update {
		p := newPKI(t)
		der, err := SignEncapsulated(oidTestContent, testContent, p.key, p.cert, nil, EncapsulatedOptions{})
		if err != nil {
			t.Fatal(err)
		}
		der, err = AddUnsigned(der, []Attribute{{Type: oidSigningTime, Values: []asn1.RawValue{{FullBytes: mustMarshal(t, p.signing.UTC())}}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, fixtureEncapsulated, der)
	}
	der, err := os.ReadFile(fixtureEncapsulated)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parsed.VerifySignerInfo(nil); err != nil || len(parsed.Signer.Unsigned) != 1 {
		t.Fatalf("fixture: %v, %d unsigned attributes", err, len(parsed.Signer.Unsigned))
	}
}
