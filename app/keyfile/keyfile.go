// Package keyfile keeps Ed25519 key pairs in PEM files that are made once
// and never replaced: the head office's ticket key and each kiosk's device
// key. Files are written whole or not at all (WriteOnce), so a crash or a
// kill while creating a key never leaves a half-written one behind; a
// private key that others can read is refused (CheckPrivate). WriteFile is
// the same whole-or-nothing write for a file that may be replaced (a ticket
// QR, a selftest package).
package keyfile

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// LoadOrCreate loads dir/name.key (PKCS#8 PEM, 0600) and dir/name.pub (PKIX
// PEM), creating the pair on first use. An existing key is never replaced; a
// missing public key is rewritten from the private one; a public key without
// its private key, or one that does not match it, is an error (a new key
// would silently orphan whoever trusts the old one). what names the key in
// messages, e.g. "ticket key".
func LoadOrCreate(dir, name, what string) (ed25519.PrivateKey, ed25519.PublicKey, error) {
	keyPath := filepath.Join(dir, name+".key")
	pubPath := filepath.Join(dir, name+".pub")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("%s dir: %w", what, err)
	}
	priv, err := LoadPrivate(keyPath, what)
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(pubPath); serr == nil {
			return nil, nil, fmt.Errorf("%s: %s exists without %s; restore the key or remove both",
				what, filepath.Base(pubPath), filepath.Base(keyPath))
		}
		priv, err = create(keyPath, what)
	}
	if err != nil {
		return nil, nil, err
	}
	pub := priv.Public().(ed25519.PublicKey)

	have, err := LoadPublic(pubPath, what)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		b, err := PublicPEM(pub)
		if err != nil {
			return nil, nil, err
		}
		if err := WriteOnce(pubPath, b, 0o644); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, nil, err
		}
	case err != nil:
		return nil, nil, err
	case !have.Equal(pub):
		return nil, nil, fmt.Errorf("%s: %s does not match %s", what, pubPath, keyPath)
	}
	return priv, pub, nil
}

// LoadPrivate reads an Ed25519 private key from a PKCS#8 PEM file, which
// must be 0600 or tighter (see CheckPrivate). A missing file gives an error
// that matches fs.ErrNotExist.
func LoadPrivate(path, what string) (ed25519.PrivateKey, error) {
	if err := CheckPrivate(path, what); err != nil {
		return nil, err
	}
	der, err := readPEM(path, "PRIVATE KEY", what)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s %s: is %T, want Ed25519", what, path, k)
	}
	return priv, nil
}

// LoadPublic reads an Ed25519 public key from a PKIX ("PUBLIC KEY") PEM
// file. A missing file gives an error that matches fs.ErrNotExist.
func LoadPublic(path, what string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	pub, err := ParsePublic(b, what)
	if err != nil {
		return nil, fmt.Errorf("%s (%s)", err, path)
	}
	return pub, nil
}

// PublicPEM encodes a public key as PKIX PEM ("PUBLIC KEY").
func PublicPEM(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublic reads a public key written by PublicPEM.
func ParsePublic(b []byte, what string) (ed25519.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("%s: not a PEM public key", what)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s: is %T, want Ed25519", what, k)
	}
	return pub, nil
}

func readPEM(path, blockType, what string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("%s %s: no PEM block", what, path)
	}
	if block.Type != blockType {
		return nil, fmt.Errorf("%s %s: PEM block is %q, want %q", what, path, block.Type, blockType)
	}
	return block.Bytes, nil
}

func create(path, what string) (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate %s: %w", what, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", what, err)
	}
	if err := WriteOnce(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadPrivate(path, what) // another process made it first: use theirs
		}
		return nil, err
	}
	return priv, nil
}

// WriteOnce writes data to a temporary file, syncs it and links it into
// place: a crash leaves either no file or a whole one, and an existing file
// is never replaced (the error then matches fs.ErrExist).
func WriteOnce(path string, data []byte, perm fs.FileMode) error {
	return writeVia(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}, os.Link)
}
