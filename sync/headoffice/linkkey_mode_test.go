package headoffice

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"almatel.kz/signkiosk/app/keyfile"
)

// The download-link key signs links to subscribers' packages: refused when
// others can read it, like every private key.
func TestLinkKeyReadableByOthersRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "link.key")
	if _, err := LoadOrCreateLinkKey(p); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, 0o644)
	if _, err := LoadOrCreateLinkKey(p); !errors.Is(err, keyfile.ErrInsecure) {
		t.Fatalf("0644 link key: %v", err)
	}
}
