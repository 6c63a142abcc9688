package tsp

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
	"time"
)

// stampDirect asks a through Respond (no HTTP) and returns the token.
func stampDirect(t *testing.T, a *Authority, data []byte, certReq bool) *Token {
	t.Helper()
	sum := sha256.Sum256(data)
	der, err := asn1.Marshal(timeStampReq{Version: 1, CertReq: certReq, Nonce: big.NewInt(7),
		MessageImprint: messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA256}, HashedMessage: sum[:]}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := checkReply(a.Respond(der))
	if err != nil {
		t.Fatalf("Respond: %v", err)
	}
	return tok
}

func TestVerifyFailures(t *testing.T) {
	p := newTestPKI(t, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	opts := VerifyOptions{Roots: p.roots}

	withCert := func(c *x509.Certificate) *Authority {
		a := p.authority(p.now)
		a.Cert = c
		return a
	}
	nonCritical := p.issueTSA(t, p.tsaKey, func(c *x509.Certificate) {
		c.ExtraExtensions = []pkix.Extension{ekuExtension(t, false, oidTimeStamping)}
	})
	twoPurposes := p.issueTSA(t, p.tsaKey, func(c *x509.Certificate) {
		c.ExtraExtensions = []pkix.Extension{ekuExtension(t, true, oidTimeStamping, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1})}
	})
	noEKU := p.issueTSA(t, p.tsaKey, func(c *x509.Certificate) { c.ExtraExtensions = nil })
	certSign := p.issueTSA(t, p.tsaKey, func(c *x509.Certificate) { c.KeyUsage |= x509.KeyUsageCertSign })
	shortLived := p.issueTSA(t, p.tsaKey, func(c *x509.Certificate) { c.NotAfter = p.now.Add(time.Hour) })
	sameSerialOtherKey := p.issueTSA(t, genKey(t), nil)
	other := newTestPKI(t, p.now)

	expired := withCert(shortLived)
	expired.Now = func() time.Time { return p.now.Add(2 * time.Hour) }
	early := p.authority(p.now.Add(-time.Hour))

	for _, tc := range []struct {
		name string
		tok  *Token
		opts VerifyOptions
		want error
	}{
		{"EKU not critical", stampDirect(t, withCert(nonCritical), testData, true), opts, ErrTSACert},
		{"EKU with a second purpose", stampDirect(t, withCert(twoPurposes), testData, true), opts, ErrTSACert},
		{"no EKU", stampDirect(t, withCert(noEKU), testData, true), opts, ErrTSACert},
		{"keyUsage keyCertSign", stampDirect(t, withCert(certSign), testData, true), opts, ErrTSACert},
		{"TSA certificate expired at genTime", stampDirect(t, expired, testData, true), opts, ErrTSAUntrusted},
		{"genTime before the TSA certificate", stampDirect(t, early, testData, true), opts, ErrTSAUntrusted},
		{"other root", stampDirect(t, p.authority(p.now), testData, true), VerifyOptions{Roots: other.roots}, ErrTSAUntrusted},
		{"no roots", stampDirect(t, p.authority(p.now), testData, true), VerifyOptions{}, ErrTSAUntrusted},
		{"no certificate in token", stampDirect(t, p.authority(p.now), testData, false), opts, ErrTSACert},
		{"signer given does not sign", stampDirect(t, p.authority(p.now), testData, false),
			VerifyOptions{Roots: p.roots, Signer: other.tsa}, ErrTokenSignature},
		{"same issuer and serial, other key", stampDirect(t, p.authority(p.now), testData, false),
			VerifyOptions{Roots: p.roots, Signer: sameSerialOtherKey}, ErrTokenSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.tok.Verify(testData, tc.opts); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}

	// Without its certificate, the token verifies with the one given.
	bare := stampDirect(t, p.authority(p.now), testData, false)
	if bare.Signer != nil || bare.Certificates != nil {
		t.Error("certReq false still sent certificates")
	}
	if err := bare.Verify(testData, VerifyOptions{Roots: p.roots, Signer: p.tsa}); err != nil {
		t.Errorf("certificate given: %v", err)
	}
}

// TestVerifyTampered: a changed TSTInfo no longer matches the signed
// message digest.
func TestVerifyTampered(t *testing.T) {
	p := newTestPKI(t, time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	a := p.authority(p.now)
	a.Serial = func() *big.Int { return big.NewInt(0x0a1b2c3d4e5f) }
	tok := stampDirect(t, a, testData, true)
	serial := []byte{0x02, 0x06, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f}
	i := bytes.Index(tok.Raw, serial)
	if i < 0 {
		t.Fatal("serial not found in the token")
	}
	raw := bytes.Clone(tok.Raw)
	raw[i+len(serial)-1] ^= 1
	changed, err := ParseToken(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := changed.Verify(testData, VerifyOptions{Roots: p.roots}); !errors.Is(err, ErrTokenSignature) {
		t.Fatalf("tampered serial: %v", err)
	}
	if err := (&Token{}).Verify(testData, VerifyOptions{Roots: p.roots}); !errors.Is(err, ErrMalformed) {
		t.Errorf("zero Token: %v", err)
	}
}

func TestCheckTSACert(t *testing.T) {
	p := newTestPKI(t, time.Now())
	if err := CheckTSACert(p.tsa); err != nil {
		t.Fatalf("good TSA certificate: %v", err)
	}
	if !p.tsa.Extensions[indexEKU(p.tsa)].Critical {
		t.Fatal("ExtraExtensions did not make the EKU critical")
	}
	if err := CheckTSACert(p.root); !errors.Is(err, ErrTSACert) {
		t.Errorf("root: %v", err)
	}
}

func indexEKU(c *x509.Certificate) int {
	for i, e := range c.Extensions {
		if e.Id.Equal(oidExtKeyUsage) {
			return i
		}
	}
	return -1
}
