package cms

import (
	"crypto/sha256"
	"crypto/x509"
	"testing"
)

func BenchmarkSignDetached(b *testing.B) {
	p := newPKI(b)
	d := sha256.Sum256(testContent)
	for b.Loop() {
		if _, err := SignDetached(d[:], p.key, p.cert, []*x509.Certificate{p.ca}, p.signing); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	p := newPKI(b)
	der := p.sign(b, testContent)
	for b.Loop() {
		if _, err := Verify(der, testContent, p.roots); err != nil {
			b.Fatal(err)
		}
	}
}
