package pki

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"almatel.kz/signkiosk/app/pack"
)

// DeviceCertPath is where DeviceCert keeps kiosk kioskID's device
// certificate in dir, beside its client certificate.
func DeviceCertPath(dir, kioskID string) string {
	return filepath.Join(dir, "kiosk-"+kioskID+".device.pem")
}

// DeviceCert returns the path of kiosk kioskID's device certificate in dir:
// the sibling of its client certificate from the same enrolment, issued by
// the same CA, certifying the kiosk's own Ed25519 device key pub (the one
// that signs manifest.json; the CA never holds it). It carries
// pack.DevicePolicyOID and no extended key usage, so it serves neither TLS
// nor anything but a kiosk's signature. One already in dir is kept while it
// certifies pub, comes from this CA and is valid now; else a new one is
// issued in its place.
func (p *PKI) DeviceCert(dir, kioskID string, pub ed25519.PublicKey) (string, error) {
	if !pack.ValidKioskID(kioskID) {
		return "", fmt.Errorf("pki: kiosk id %q: want letters, digits, '.', '_' or '-'", kioskID)
	}
	if len(pub) != ed25519.PublicKeySize {
		return "", fmt.Errorf("pki: device key for %s: %d bytes, not an Ed25519 public key", kioskID, len(pub))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("pki: %w", err)
	}
	path := DeviceCertPath(dir, kioskID)
	if p.validDevice(path, kioskID, pub) {
		return path, nil
	}
	serial, err := randSerial()
	if err != nil {
		return "", err
	}
	now := p.now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: kioskID, Organization: []string{"signkiosk demo"}, OrganizationalUnit: []string{"kiosk device"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(leafValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		Policies:              []x509.OID{pack.DevicePolicy},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.CA, pub, p.caKey)
	if err != nil {
		return "", fmt.Errorf("pki: device certificate %s: %w", kioskID, err)
	}
	if err := writeFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", err
	}
	return path, nil
}

// validDevice reports whether path holds a device certificate for kioskID
// and pub from this CA, valid now.
func (p *PKI) validDevice(path, kioskID string, pub ed25519.PublicKey) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	cert, inter, err := pack.ParseDeviceCert(b)
	if err != nil || len(inter) != 0 || pack.CheckDeviceProfile(cert) != nil || cert.Subject.CommonName != kioskID {
		return false
	}
	if got, ok := cert.PublicKey.(ed25519.PublicKey); !ok || !got.Equal(pub) {
		return false
	}
	return pack.VerifyDeviceChain(cert, nil, p.CAPool, p.now()) == nil
}
