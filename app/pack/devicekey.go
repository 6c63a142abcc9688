package pack

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

// Device key files, created once per kiosk in its data directory.
const (
	DeviceKeyFile = "device-ed25519.key"
	DevicePubFile = "device-ed25519.pub"
)

// LoadOrCreateDeviceKey reads DIR/device-ed25519.key, or creates it (PKCS#8
// PEM, mode 0600) with its public key DIR/device-ed25519.pub (PKIX PEM) if
// it does not exist yet. The key is never replaced: head office trusts it.
func LoadOrCreateDeviceKey(dir string) (ed25519.PrivateKey, error) {
	path := filepath.Join(dir, DeviceKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		return parsePrivateKeyPEM(b)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("device key: %w", err)
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("device key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("device key: %w", err)
	}
	pubPEM, err := PublicKeyPEM(key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("device key: %w", err)
	}
	// O_EXCL: if another process created the key meanwhile, use theirs.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreateDeviceKey(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("device key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, fmt.Errorf("device key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("device key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("device key: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, DevicePubFile), pubPEM, 0o644); err != nil {
		return nil, fmt.Errorf("device key: public key: %w", err)
	}
	return key, nil
}

func parsePrivateKeyPEM(b []byte) (ed25519.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, errors.New("device key: not a PKCS#8 PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("device key: %w", err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("device key: %T is not Ed25519", k)
	}
	return key, nil
}

// PublicKeyPEM encodes a device public key as PKIX PEM ("PUBLIC KEY").
func PublicKeyPEM(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("device key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePublicKeyPEM reads a device public key written by PublicKeyPEM.
func ParsePublicKeyPEM(b []byte) (ed25519.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, errors.New("device public key: not a PEM public key")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("device public key: %w", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("device public key: %T is not Ed25519", k)
	}
	return pub, nil
}
