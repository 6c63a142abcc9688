package cms

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"flag"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pki is a demo CA and one subscriber, valid around the real clock so that
// openssl (which checks at the current time) accepts them.
type pki struct {
	caKey   *rsa.PrivateKey
	ca      *x509.Certificate
	key     *rsa.PrivateKey
	cert    *x509.Certificate
	roots   *x509.CertPool
	signing time.Time
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	p := &pki{signing: now}
	p.caKey = genKey(t)
	p.ca = mustCert(t, &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA", Country: []string{"KZ"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}, nil, p.caKey, p.caKey)
	p.key = genKey(t)
	p.cert = p.issue(t, 42, p.key)
	p.roots = x509.NewCertPool()
	p.roots.AddCert(p.ca)
	return p
}

func (p *pki) issue(t testing.TB, serial int64, key *rsa.PrivateKey) *x509.Certificate {
	t.Helper()
	return mustCert(t, &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "СӘРСЕНБАЕВ НҰРЛАН", SerialNumber: "IIN900101300123", Country: []string{"KZ"}},
		NotBefore:    p.signing.Add(-time.Minute), NotAfter: p.signing.AddDate(1, 0, 0),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
	}, p.ca, key, p.caKey)
}

func genKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustCert(t testing.TB, tmpl, parent *x509.Certificate, key, signer *rsa.PrivateKey) *x509.Certificate {
	t.Helper()
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (p *pki) sign(t testing.TB, content []byte) []byte {
	t.Helper()
	d := sha256.Sum256(content)
	der, err := SignDetached(d[:], p.key, p.cert, []*x509.Certificate{p.ca}, p.signing)
	if err != nil {
		t.Fatalf("SignDetached: %v", err)
	}
	return der
}

var testContent = []byte("%PDF-1.7 the application for joining the public contract")

func TestSignVerify(t *testing.T) {
	p := newPKI(t)
	der := p.sign(t, testContent)
	got, err := Verify(der, testContent, p.roots)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !got.Equal(p.cert) {
		t.Fatal("Verify returned another certificate")
	}
	// PKCS#1 v1.5 is deterministic: the same inputs give the same bytes,
	// which the package's golden tests rely on.
	if again := p.sign(t, testContent); !bytes.Equal(again, der) {
		t.Error("signing twice gave different bytes")
	}
}

func TestSignRejectsBadInput(t *testing.T) {
	p := newPKI(t)
	if _, err := SignDetached(make([]byte, 20), p.key, p.cert, nil, p.signing); err == nil {
		t.Error("short digest accepted")
	}
	if _, err := SignDetached(make([]byte, 32), p.caKey, p.cert, nil, p.signing); err == nil {
		t.Error("key not matching the certificate accepted")
	}
}

func TestSignedAttributesSortedAndComplete(t *testing.T) {
	p := newPKI(t)
	d := sha256.Sum256(testContent)
	set, err := signedAttributes(d[:], p.cert, p.signing)
	if err != nil {
		t.Fatal(err)
	}
	var list []asn1.RawValue
	if _, err := asn1.UnmarshalWithParams(set, &list, "set"); err != nil {
		t.Fatal(err)
	}
	if len(list) != 4 {
		t.Fatalf("%d attributes", len(list))
	}
	for i := 1; i < len(list); i++ {
		if bytes.Compare(list[i-1].FullBytes, list[i].FullBytes) > 0 {
			t.Fatal("attributes are not in DER SET OF order")
		}
	}
}

// rewrite parses der, lets edit change the SignedData and marshals it back.
func rewrite(t *testing.T, der []byte, edit func(*signedData)) []byte {
	t.Helper()
	var ci contentInfo
	if err := UnmarshalAll(der, &ci); err != nil {
		t.Fatal(err)
	}
	var sd signedData
	if err := UnmarshalAll(ci.Content.Bytes, &sd); err != nil {
		t.Fatal(err)
	}
	edit(&sd)
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		t.Fatal(err)
	}
	out, err := asn1.Marshal(contentInfo{ContentType: oidSignedData,
		Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdDER}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerifyFailures(t *testing.T) {
	p := newPKI(t)
	der := p.sign(t, testContent)

	// The re-encoding itself must not change anything.
	if _, err := Verify(rewrite(t, der, func(*signedData) {}), testContent, p.roots); err != nil {
		t.Fatalf("rewrite changed the CMS: %v", err)
	}

	tamperedTime := rewrite(t, der, func(sd *signedData) {
		attrs := bytes.Clone(sd.SignerInfos[0].SignedAttrs.FullBytes)
		ut, _ := asn1.MarshalWithParams(p.signing, "utc")
		i := bytes.Index(attrs, ut)
		if i < 0 {
			t.Fatal("signing time not found")
		}
		attrs[i+2] ^= 1 // one digit of the year: still a valid UTCTime
		sd.SignerInfos[0].SignedAttrs = asn1.RawValue{FullBytes: attrs}
	})

	otherSerial := p.issue(t, 43, genKey(t))
	sameSerial := p.issue(t, 42, genKey(t)) // same issuer and serial, another key
	swap := func(c *x509.Certificate) []byte {
		return rewrite(t, der, func(sd *signedData) {
			sd.Certificates = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true,
				Bytes: append(bytes.Clone(c.Raw), p.ca.Raw...)}
		})
	}
	otherRoots := x509.NewCertPool()
	otherRoots.AddCert(newPKI(t).ca)

	for _, tc := range []struct {
		name    string
		der     []byte
		content []byte
		roots   *x509.CertPool
		want    error
	}{
		{"tampered content", der, append(bytes.Clone(testContent), '!'), p.roots, ErrContentDigest},
		{"tampered attribute", tamperedTime, testContent, p.roots, ErrSignature},
		{"wrong root", der, testContent, otherRoots, ErrUntrusted},
		{"swapped signer cert", swap(sameSerial), testContent, p.roots, ErrCertHash},
		{"signer cert removed", swap(otherSerial), testContent, p.roots, ErrNoSigner},
		{"truncated", der[:len(der)-10], testContent, p.roots, ErrMalformed},
		{"garbage", []byte("not a CMS"), testContent, p.roots, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.der, tc.content, tc.roots)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestOpenSSL checks the CMS with an independent implementation.
func TestOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is missing in CI (make deps installs it)")
		}
		t.Skip("openssl not installed")
	}
	p := newPKI(t)
	der := p.sign(t, testContent)
	dir := t.TempDir()
	doc, sig, ca := filepath.Join(dir, "doc.bin"), filepath.Join(dir, "doc.cms"), filepath.Join(dir, "ca.pem")
	for name, b := range map[string][]byte{
		doc: testContent, sig: der,
		ca: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.ca.Raw}),
	} {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(openssl, "cms", "-verify", "-binary", "-inform", "DER",
		"-content", doc, "-in", sig, "-CAfile", ca, "-purpose", "any", "-out", os.DevNull).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Verification successful") {
		t.Fatalf("openssl cms -verify: %v\n%s", err, out)
	}

	out, err = exec.Command(openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", sig).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl cms -cmsout -print: %v\n%s", err, out)
	}
	for _, attr := range []string{"contentType", "messageDigest", "signingTime", "signingCertificateV2"} {
		if !strings.Contains(string(out), attr) {
			t.Errorf("openssl does not show the %s attribute:\n%s", attr, out)
		}
	}

	// And openssl refuses tampered content.
	if err := os.WriteFile(doc, append(bytes.Clone(testContent), '!'), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(openssl, "cms", "-verify", "-binary", "-inform", "DER",
		"-content", doc, "-in", sig, "-CAfile", ca, "-purpose", "any", "-out", os.DevNull).CombinedOutput(); err == nil {
		t.Fatalf("openssl verified tampered content:\n%s", out)
	}
}

// update rewrites the fuzz fixtures: go test ./app/cms -run TestFuzzFixtures -update
var update = flag.Bool("update", false, "rewrite testdata/fuzz-*")

const (
	fixtureCMS = "testdata/fuzz-seed.cms"
	fixtureCA  = "testdata/fuzz-ca.der"
)

// TestFuzzFixtures keeps the fixed CMS FuzzVerify starts from valid. The
// fuzzer needs fixtures: generating RSA keys in its workers under coverage
// instrumentation takes so long that it stalls. Verify checks the chain at
// the signed signing-time, so the fixture does not expire.
func TestFuzzFixtures(t *testing.T) {
	if *update {
		p := newPKI(t)
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixtureCMS, p.sign(t, testContent), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixtureCA, p.ca.Raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	der, roots := fuzzFixtures(t)
	if _, err := Verify(der, testContent, roots); err != nil {
		t.Fatalf("fixture does not verify: %v", err)
	}
}

func fuzzFixtures(t testing.TB) ([]byte, *x509.CertPool) {
	t.Helper()
	der, err := os.ReadFile(fixtureCMS)
	if err != nil {
		t.Fatal(err)
	}
	caDER, err := os.ReadFile(fixtureCA)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return der, roots
}

// FuzzVerify: Verify never panics and never accepts without a certificate.
// Run it with a bounded -fuzzminimizetime (make fuzz uses 100x): every new
// input found early is a mutant of the 2 KB seed, and the default minimiser
// (up to 60 s, O(n²) tries) spends a 30 s run on the first one, at 41 execs.
func FuzzVerify(f *testing.F) {
	der, roots := fuzzFixtures(f)
	f.Add(der)
	f.Add(der[:len(der)/2])
	f.Add([]byte{0x30, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		cert, err := Verify(b, testContent, roots)
		if err == nil && cert == nil {
			t.Fatal("nil certificate without an error")
		}
	})
}
