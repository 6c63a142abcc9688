package ticket

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"almatel.kz/signkiosk/app/keyfile"
)

func TestLoadOrCreateKeyPair(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	priv, pub, err := LoadOrCreateKeyPair(dir)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	for name, want := range map[string]fs.FileMode{PrivateKeyFile: 0o600, PublicKeyFile: 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", name, fi.Mode().Perm(), want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("dir holds %d entries, want 2 (temp files left?)", len(entries))
	}

	priv2, pub2, err := LoadOrCreateKeyPair(dir)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !priv2.Equal(priv) || !pub2.Equal(pub) {
		t.Fatal("second call made a new key")
	}

	// A ticket from the created key verifies with the loaded public key file.
	loaded, err := LoadPublicKey(filepath.Join(dir, PublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	v := Verifier{PublicKey: loaded, Office: "ALM-001"}
	if _, err := v.Verify(mustEncode(t, testPayload(), priv), testNow); err != nil {
		t.Fatalf("Verify: %v", err)
	}

	// A lost public key is rewritten from the private one.
	os.Remove(filepath.Join(dir, PublicKeyFile))
	if _, pub3, err := LoadOrCreateKeyPair(dir); err != nil || !pub3.Equal(pub) {
		t.Fatalf("rewrite public key: %v", err)
	}
}

func TestLoadOrCreateKeyPairRefuses(t *testing.T) {
	t.Run("public key without private key", func(t *testing.T) {
		dir := t.TempDir()
		writePublicKey(filepath.Join(dir, PublicKeyFile), testKey(3).Public().(ed25519.PublicKey))
		if _, _, err := LoadOrCreateKeyPair(dir); err == nil {
			t.Fatal("made a new private key next to an orphan public key")
		}
		if _, err := os.Stat(filepath.Join(dir, PrivateKeyFile)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatal("private key file was created")
		}
	})
	t.Run("mismatched public key", func(t *testing.T) {
		dir := t.TempDir()
		if _, _, err := LoadOrCreateKeyPair(dir); err != nil {
			t.Fatal(err)
		}
		os.Remove(filepath.Join(dir, PublicKeyFile))
		writePublicKey(filepath.Join(dir, PublicKeyFile), testKey(3).Public().(ed25519.PublicKey))
		if _, _, err := LoadOrCreateKeyPair(dir); err == nil || !strings.Contains(err.Error(), "does not match") {
			t.Fatalf("mismatch: %v", err)
		}
	})
}

func TestLoadKeyErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPubDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)

	missing := filepath.Join(dir, "missing")
	if _, err := LoadPrivateKey(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing private key: %v", err)
	}
	if _, err := LoadPublicKey(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing public key: %v", err)
	}
	for name, path := range map[string]string{
		"not PEM":     write("a", []byte("hello")),
		"wrong block": write("b", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecPubDER})),
		"bad DER":     write("c", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})),
		"ECDSA":       write("d", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})),
	} {
		if _, err := LoadPrivateKey(path); err == nil {
			t.Errorf("LoadPrivateKey %s: no error", name)
		}
	}
	for name, path := range map[string]string{
		"wrong block": write("e", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})),
		"ECDSA":       write("f", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecPubDER})),
	} {
		if _, err := LoadPublicKey(path); err == nil {
			t.Errorf("LoadPublicKey %s: no error", name)
		}
	}
}

// writePublicKey puts a (foreign) public key file in place, for the refusal
// cases above.
func writePublicKey(path string, pub ed25519.PublicKey) {
	b, err := keyfile.PublicPEM(pub)
	if err != nil {
		panic(err)
	}
	if err := keyfile.WriteOnce(path, b, 0o644); err != nil {
		panic(err)
	}
}
