package headoffice

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"almatel.kz/signkiosk/app/keyfile"
)

const linkKeySize = 32

// LoadOrCreateLinkKey reads the download-link HMAC key at path, creating a
// random 32-byte key (file 0600) the first time. Keeping it on disk keeps
// links handed out before a restart valid.
func LoadOrCreateLinkKey(path string) ([]byte, error) {
	if err := keyfile.CheckPrivate(path, "link key"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) < minLinkKey {
			return nil, fmt.Errorf("link key %s: %d bytes, want at least %d", filepath.Base(path), len(b), minLinkKey)
		}
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("link key: %w", err)
	}
	key := make([]byte, linkKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("link key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("link key: %w", err)
	}
	// O_EXCL: two processes starting at once must not end with two keys.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateLinkKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("link key: %w", err)
	}
	_, err = f.Write(key)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("link key: %w", err)
	}
	return key, nil
}
