package pack

import (
	"crypto/ed25519"

	"almatel.kz/signkiosk/app/keyfile"
)

// Device key files, created once per kiosk in its data directory.
const (
	DeviceKeyFile = "device-ed25519.key"
	DevicePubFile = "device-ed25519.pub"
)

// LoadOrCreateDeviceKey reads DIR/device-ed25519.key, or creates it with its
// public key DIR/device-ed25519.pub on first use. The key is never replaced:
// head office trusts it (see keyfile.LoadOrCreate).
func LoadOrCreateDeviceKey(dir string) (ed25519.PrivateKey, error) {
	priv, _, err := keyfile.LoadOrCreate(dir, "device-ed25519", "device key")
	return priv, err
}

// PublicKeyPEM encodes a device public key as PKIX PEM ("PUBLIC KEY").
func PublicKeyPEM(pub ed25519.PublicKey) ([]byte, error) { return keyfile.PublicPEM(pub) }

// ParsePublicKeyPEM reads a device public key written by PublicKeyPEM.
func ParsePublicKeyPEM(b []byte) (ed25519.PublicKey, error) {
	return keyfile.ParsePublic(b, "device public key")
}
