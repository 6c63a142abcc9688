package tsp

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"flag"
	"math/big"
	"os"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/cms"
)

// update rewrites the fixtures: go test ./app/tsp -run TestFuzzFixtures -update
var update = flag.Bool("update", false, "rewrite testdata/fuzz-*")

const (
	fixtureToken = "testdata/fuzz-token.der"
	fixtureRoot  = "testdata/fuzz-root.der"
)

// TestFuzzFixtures keeps FuzzParseToken's seed valid: a token over
// testData and its root (Verify checks at genTime, so it does not expire).
func TestFuzzFixtures(t *testing.T) {
	if *update {
		p := newTestPKI(t, time.Now())
		tok := stampDirect(t, p.authority(p.now), testData, true)
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixtureToken, tok.Raw, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixtureRoot, p.root.Raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	der, roots := fuzzFixtures(t)
	tok, err := ParseToken(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Verify(testData, VerifyOptions{Roots: roots}); err != nil {
		t.Fatalf("fixture does not verify: %v", err)
	}
}

func fuzzFixtures(t testing.TB) ([]byte, *x509.CertPool) {
	t.Helper()
	der, err := os.ReadFile(fixtureToken)
	if err != nil {
		t.Fatal(err)
	}
	rootDER, err := os.ReadFile(fixtureRoot)
	if err != nil {
		t.Fatal(err)
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root)
	return der, roots
}

// FuzzParseToken: ParseToken and Verify never panic, errors wrap the
// sentinels, and what verifies is over testData. Run with a bounded
// -fuzzminimizetime (100x), as the cms fuzzers.
func FuzzParseToken(f *testing.F) {
	der, roots := fuzzFixtures(f)
	f.Add(der)
	f.Add(der[:len(der)/2])
	f.Add([]byte{0x30, 0x80})
	sum := sha256.Sum256(testData)
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := ParseToken(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		err = tok.Verify(testData, VerifyOptions{Roots: roots})
		if err == nil && (!bytes.Equal(tok.Imprint, sum[:]) || tok.Signer == nil) {
			t.Fatal("verified a token not over the data")
		}
		for _, s := range []error{ErrMalformed, ErrImprint, ErrTokenSignature, ErrTSACert, ErrTSAUntrusted} {
			if errors.Is(err, s) {
				return
			}
		}
		if err != nil {
			t.Fatalf("error wraps no sentinel: %v", err)
		}
	})
}

// FuzzRespond: Respond answers every input with a TimeStampResp; what it
// grants verifies. The TSA key is ECDSA: RSA key generation in the
// instrumented workers would stall them.
func FuzzRespond(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(5), Subject: pkix.Name{CommonName: "Fuzz TSA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true,
		ExtraExtensions: []pkix.Extension{ekuExtension(f, true, oidTimeStamping)},
	}
	cert := createCert(f, tmpl, nil, &key.PublicKey, key)
	a := &Authority{Signer: key, Cert: cert, Policy: testPolicy, Now: func() time.Time { return now }}
	sum := sha256.Sum256(testData)
	good, err := asn1.Marshal(timeStampReq{Version: 1, CertReq: true, Nonce: big.NewInt(99), ReqPolicy: testPolicy,
		MessageImprint: messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA256}, HashedMessage: sum[:]}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:20])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var resp timeStampResp
		if err := cms.UnmarshalAll(a.Respond(b), &resp); err != nil {
			t.Fatalf("reply does not parse: %v", err)
		}
		switch resp.Status.Status {
		case statusRejection:
			if len(failures(resp.Status.FailInfo)) != 1 {
				t.Fatalf("rejection with failInfo %v", failures(resp.Status.FailInfo))
			}
			return
		case statusGranted:
		default:
			t.Fatalf("status %d", resp.Status.Status)
		}
		tok, err := ParseToken(resp.TimeStampToken.FullBytes)
		if err != nil {
			t.Fatalf("granted token does not parse: %v", err)
		}
		if err := tok.parsed.VerifySignerInfoWith(cert, nil); err != nil {
			t.Fatalf("granted token does not verify: %v", err)
		}
		if !tok.GenTime.Equal(now) || !tok.Policy.Equal(testPolicy) {
			t.Fatalf("genTime %v policy %v", tok.GenTime, tok.Policy)
		}
	})
}
