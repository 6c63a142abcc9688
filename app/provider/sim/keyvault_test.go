package sim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestKeyVault(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const pw = "Secret#2026"
	blob, err := encryptKey(key, pw)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decryptKey(blob, pw)
	if err != nil || !got.Equal(key) {
		t.Fatalf("decrypt with the password: %v", err)
	}
	for _, wrong := range []string{"", "Secret#2027", "secret#2026"} {
		if _, err := decryptKey(blob, wrong); !errors.Is(err, errWrongPassword) {
			t.Errorf("password %q: got %v, want errWrongPassword", wrong, err)
		}
	}
	if _, err := decryptKey(blob[:len(blob)-1], pw); err == nil {
		t.Error("truncated blob decrypted")
	}

	// An independent reader of RFC 8018 opens it too.
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is missing in CI (make deps installs it)")
		}
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	in, pwFile := filepath.Join(dir, "key.p8"), filepath.Join(dir, "pw")
	if err := os.WriteFile(in, blob, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pwFile, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(openssl, "pkcs8", "-inform", "DER", "-in", in, "-passin", "file:"+pwFile).Output()
	if err != nil {
		t.Fatalf("openssl pkcs8: %v", err)
	}
	b, _ := pem.Decode(out)
	if b == nil {
		t.Fatal("openssl pkcs8 wrote no PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil || !key.Equal(k) {
		t.Fatalf("openssl decrypted another key: %v", err)
	}
}
