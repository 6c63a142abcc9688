package ticket

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File names of the head-office ticket key pair inside a data directory.
const (
	PrivateKeyFile = "ticket-ed25519.key"
	PublicKeyFile  = "ticket-ed25519.pub"
)

// LoadOrCreateKeyPair loads dir's ticket key pair, creating it on first use:
// the private key as PKCS#8 PEM (0600) and the public key as PKIX PEM. An
// existing key is never replaced; a missing public key is rewritten from the
// private one, and a public key that does not match is an error.
func LoadOrCreateKeyPair(dir string) (ed25519.PrivateKey, ed25519.PublicKey, error) {
	keyPath := filepath.Join(dir, PrivateKeyFile)
	pubPath := filepath.Join(dir, PublicKeyFile)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("ticket key dir: %w", err)
	}

	priv, err := LoadPrivateKey(keyPath)
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(pubPath); serr == nil {
			// Minting a new key would silently orphan every kiosk that trusts the old one.
			return nil, nil, fmt.Errorf("ticket key: %s exists without %s; restore the key or remove both", PublicKeyFile, PrivateKeyFile)
		}
		priv, err = createPrivateKey(keyPath)
	}
	if err != nil {
		return nil, nil, err
	}
	pub := priv.Public().(ed25519.PublicKey)

	have, err := LoadPublicKey(pubPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := writePublicKey(pubPath, pub); err != nil {
			return nil, nil, err
		}
	case err != nil:
		return nil, nil, err
	case !have.Equal(pub):
		return nil, nil, fmt.Errorf("ticket key: %s does not match %s", pubPath, keyPath)
	}
	return priv, pub, nil
}

// LoadPrivateKey reads an Ed25519 private key from a PKCS#8 PEM file.
// A missing file gives an error that matches fs.ErrNotExist.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	der, err := readPEM(path, "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("ticket private key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("ticket private key %s: is %T, want Ed25519", path, k)
	}
	return priv, nil
}

// LoadPublicKey reads an Ed25519 public key from a PKIX ("PUBLIC KEY") PEM file.
// A missing file gives an error that matches fs.ErrNotExist.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	der, err := readPEM(path, "PUBLIC KEY")
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("ticket public key %s: %w", path, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("ticket public key %s: is %T, want Ed25519", path, k)
	}
	return pub, nil
}

func readPEM(path, blockType string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ticket key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("ticket key %s: no PEM block", path)
	}
	if block.Type != blockType {
		return nil, fmt.Errorf("ticket key %s: PEM block is %q, want %q", path, block.Type, blockType)
	}
	return block.Bytes, nil
}

func createPrivateKey(path string) (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate ticket key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("marshal ticket key: %w", err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := writeOnce(path, pemBytes, 0o600); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process created it first: use theirs, never overwrite.
			return LoadPrivateKey(path)
		}
		return nil, err
	}
	return priv, nil
}

func writePublicKey(path string, pub ed25519.PublicKey) error {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fmt.Errorf("marshal ticket public key: %w", err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	if err := writeOnce(path, pemBytes, 0o644); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// writeOnce writes data to a temporary file, syncs it and links it into
// place: a crash leaves either no file or a whole one, and an existing file
// is never replaced (the link fails with fs.ErrExist).
func writeOnce(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: make the new name durable
		d.Close()
	}
	return nil
}
