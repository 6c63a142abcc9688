package pki

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/keyfile"
)

// The kiosk's mTLS client key is refused when others can read it, with one
// line naming the file and the fix; the certificate may be 0644 (public).
func TestClientTLSRefusesOpenKey(t *testing.T) {
	dir := t.TempDir()
	p, err := LoadOrCreate(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := p.ClientCert(dir, "ALM-001-K1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ClientTLS(p.CAPath(), cert, key); err != nil {
		t.Fatalf("0600 key: %v", err)
	}
	os.Chmod(key, 0o644)
	_, err = ClientTLS(p.CAPath(), cert, key)
	if !errors.Is(err, keyfile.ErrInsecure) || !strings.Contains(err.Error(), key+": mode 0644") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("0644 key: %v", err)
	}
}

// Head office's own keys (the CA's and the server's) are refused likewise,
// not silently re-issued.
func TestLoadOrCreateRefusesOpenKeys(t *testing.T) {
	for _, name := range []string{CAKeyFile, ServerKeyFile} {
		dir := t.TempDir()
		if _, err := LoadOrCreate(dir, time.Now); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(dir, name), 0o640)
		if _, err := LoadOrCreate(dir, time.Now); !errors.Is(err, keyfile.ErrInsecure) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s at 0640: %v", name, err)
		}
	}
}
