package sim

import (
	"crypto/rand"
	"crypto/rsa"
	"testing"
)

func BenchmarkDecryptKey(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	blob, err := encryptKey(key, "Secret#2026")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := decryptKey(blob, "Secret#2026"); err != nil {
			b.Fatal(err)
		}
	}
}
