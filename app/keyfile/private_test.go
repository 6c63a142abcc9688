package keyfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A private key that others can read is refused, by LoadPrivate and by
// LoadOrCreate, with one line that says how to fix it.
func TestPrivateKeyReadableByOthersRefused(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := LoadOrCreate(dir, "ticket-ed25519", "ticket key"); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "ticket-ed25519.key")
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(key, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadPrivate(key, "ticket key")
		want := fmt.Sprintf("ticket key %s: mode %04o lets others read it; chmod 600 it", key, mode)
		if !errors.Is(err, ErrInsecure) || err.Error() != want {
			t.Errorf("mode %04o: %v, want %q", mode, err, want)
		}
		if _, _, err := LoadOrCreate(dir, "ticket-ed25519", "ticket key"); !errors.Is(err, ErrInsecure) {
			t.Errorf("LoadOrCreate at %04o: %v", mode, err)
		}
	}
	os.Chmod(key, 0o400)
	if _, err := LoadPrivate(key, "ticket key"); err != nil {
		t.Errorf("0400: %v", err)
	}
}

func TestCheckPrivate(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "k")
	os.WriteFile(p, []byte("x"), 0o600)
	if err := CheckPrivate(p, "mTLS client key"); err != nil {
		t.Fatalf("0600: %v", err)
	}
	os.Chmod(p, 0o644)
	err := CheckPrivate(p, "mTLS client key")
	if want := "mTLS client key " + p + ": mode 0644 lets others read it; chmod 600 it"; err == nil || err.Error() != want {
		t.Fatalf("0644: %v, want %q", err, want)
	}
	if err := CheckPrivate(filepath.Join(dir, "none"), "k"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
	if err := CheckPrivate(dir, "k"); err == nil || errors.Is(err, ErrInsecure) {
		t.Fatalf("a directory: %v", err)
	}
}

// WriteFile replaces whole or not at all: a write that fails half way (a
// full disk) leaves the old file, or no file, and no temp file.
func TestWriteFileFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "qr.png")
	full := func(w io.Writer) error {
		if _, err := w.Write([]byte("half a pic")); err != nil {
			return err
		}
		return syscall.ENOSPC
	}
	if err := writeReplace(p, 0o600, full); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("full disk: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("left behind: %v", ents)
	}
	if err := WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeReplace(p, 0o600, full); err == nil {
		t.Fatal("no error")
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("old file became %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("left behind: %v", ents)
	}
}

// WriteFile gives the file exactly perm, whatever the umask, and replaces
// a file that was more open.
func TestWriteFileMode(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	p := filepath.Join(t.TempDir(), "out.zip")
	os.WriteFile(p, []byte("before"), 0o644)
	if err := WriteFile(p, []byte("after"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	b, _ := os.ReadFile(p)
	if fi.Mode().Perm() != 0o600 || string(b) != "after" {
		t.Fatalf("%v %q", fi.Mode(), b)
	}
}
