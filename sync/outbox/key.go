package outbox

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"almatel.kz/signkiosk/app/keyfile"
)

// KeySize is the AES-256 key length in bytes.
const KeySize = 32

// LoadOrCreateKey reads the payload key from path: 64 hex characters and a
// newline, mode 0600 or tighter. With create, a missing file is made with a
// fresh random key (the demo does this); without, it is ErrKey — a production
// kiosk must not silently start a new key and strand the payloads it holds.
func LoadOrCreateKey(path string, create bool) ([]byte, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: no key file configured", ErrKey)
	}
	err := keyfile.CheckPrivate(path, "key file")
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, fmt.Errorf("%w: key file %s is missing", ErrKey, path)
		}
		return createKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	return parseKey(path, b)
}

func parseKey(path string, b []byte) ([]byte, error) {
	h := bytes.TrimSuffix(b, []byte("\n"))
	if len(h) != 2*KeySize {
		return nil, fmt.Errorf("%w: key file %s must hold %d hex characters, it holds %d bytes", ErrKey, path, 2*KeySize, len(h))
	}
	key := make([]byte, KeySize)
	if _, err := hex.Decode(key, h); err != nil {
		return nil, fmt.Errorf("%w: key file %s is not hex", ErrKey, path)
	}
	return key, nil
}

// createKey writes a new key durably: O_EXCL so two starting processes
// cannot each make their own, then fsync of the file and its folder.
func createKey(path string) ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	// Whole or not at all, and never over a key another process made first:
	// a kill mid-write must not leave an empty key that refuses every start.
	if err := keyfile.WriteOnce(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); errors.Is(err, fs.ErrExist) {
		return LoadOrCreateKey(path, false)
	} else if err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	return key, nil
}
