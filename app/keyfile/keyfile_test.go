package keyfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteOnceNeverReplaces(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k")
	if err := WriteOnce(p, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteOnce(p, []byte("second"), 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second write: %v", err)
	}
	b, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if string(b) != "first" || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%q %v", b, fi.Mode())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".tmp-*")); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
}

func TestLoadOrCreateAgreesWithItself(t *testing.T) {
	dir := t.TempDir()
	priv, pub, err := LoadOrCreate(dir, "device-ed25519", "device key")
	if err != nil {
		t.Fatal(err)
	}
	priv2, pub2, err := LoadOrCreate(dir, "device-ed25519", "device key")
	if err != nil || !priv.Equal(priv2) || !pub.Equal(pub2) {
		t.Fatalf("second load: %v", err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "device-ed25519.pub"))
	if p, err := ParsePublic(b, "x"); err != nil || !p.Equal(pub) {
		t.Fatalf("pub file: %v", err)
	}
	if _, err := ParsePublic([]byte("junk"), "device public key"); err == nil {
		t.Fatal("junk parsed")
	}
}
