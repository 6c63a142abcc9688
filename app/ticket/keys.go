package ticket

import (
	"crypto/ed25519"

	"almatel.kz/signkiosk/app/keyfile"
)

// File names of the head-office ticket key pair inside a data directory.
const (
	PrivateKeyFile = "ticket-ed25519.key"
	PublicKeyFile  = "ticket-ed25519.pub"
)

// LoadOrCreateKeyPair loads dir's ticket key pair, creating it on first use
// (see keyfile.LoadOrCreate: never replaced, written atomically).
func LoadOrCreateKeyPair(dir string) (ed25519.PrivateKey, ed25519.PublicKey, error) {
	return keyfile.LoadOrCreate(dir, "ticket-ed25519", "ticket key")
}

// LoadPrivateKey reads an Ed25519 private key from a PKCS#8 PEM file.
// A missing file gives an error that matches fs.ErrNotExist.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	return keyfile.LoadPrivate(path, "ticket private key")
}

// LoadPublicKey reads an Ed25519 public key from a PKIX PEM file.
// A missing file gives an error that matches fs.ErrNotExist.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	return keyfile.LoadPublic(path, "ticket public key")
}
