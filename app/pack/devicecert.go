package pack

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"regexp"
	"time"
)

// ProjectArc is signkiosk's own OID arc, 2.25.<UUID> (ITU-T X.667, the
// UUID e5196916-4aad-4028-9be2-3dc0ba2aa2df as an integer): AlmaTel holds
// no registered arc, and a UUID arc needs no registration.
const ProjectArc = "2.25.304525149875348402199025161588896867039"

// DevicePolicyOID is the certificate policy that makes a certificate a kiosk
// device certificate: head office's kiosk CA puts it in every device
// certificate and nothing else carries it. A verifier that trusts the
// national CA's roots as well (one --roots bundle) still cannot take a
// person's certificate for a kiosk's. It is a policy, not an extended key
// usage, because Go's x509 (and others) parse an EKU arc only up to the
// size of an int, and a UUID arc is 128 bits.
const DevicePolicyOID = ProjectArc + ".1"

// DevicePolicy is DevicePolicyOID parsed.
var DevicePolicy = mustOID(DevicePolicyOID)

func mustOID(s string) x509.OID {
	oid, err := x509.ParseOID(s)
	if err != nil {
		panic(err)
	}
	return oid
}

// kioskIDPattern keeps kiosk ids safe as file names and certificate CNs.
var kioskIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidKioskID reports whether id can name a kiosk: 1–64 letters, digits,
// '.', '_' or '-', starting with a letter or digit.
func ValidKioskID(id string) bool { return kioskIDPattern.MatchString(id) }

// maxDeviceChain bounds device.pem: the device certificate and at most a
// few CAs between it and a root.
const maxDeviceChain = 4

// ParseDeviceCert reads device.pem: the kiosk's device certificate, then
// any CA certificates between it and a root. Nothing else may be in it.
func ParseDeviceCert(b []byte) (leaf *x509.Certificate, intermediates []*x509.Certificate, err error) {
	rest := b
	var certs []*x509.Certificate
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			return nil, nil, fmt.Errorf("holds a %q PEM block; only certificates belong there", blk.Type)
		}
		if len(certs) == maxDeviceChain {
			return nil, nil, fmt.Errorf("holds more than %d certificates", maxDeviceChain)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, nil, errors.New("not a PEM certificate")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, nil, errors.New("data after its certificates")
	}
	return certs[0], certs[1:], nil
}

// CheckDeviceProfile says why cert is not a kiosk device certificate: one
// carries DevicePolicyOID, certifies an Ed25519 key for digital signatures,
// is no CA, and names the kiosk by its id as common name.
func CheckDeviceProfile(cert *x509.Certificate) error {
	hasPolicy := false
	for _, p := range cert.Policies {
		if p.Equal(DevicePolicy) {
			hasPolicy = true
		}
	}
	switch {
	case !hasPolicy:
		return fmt.Errorf("it lacks the kiosk device policy %s", DevicePolicyOID)
	case cert.PublicKeyAlgorithm != x509.Ed25519:
		return fmt.Errorf("its key is %s, not Ed25519", cert.PublicKeyAlgorithm)
	case cert.IsCA:
		return errors.New("it is a CA certificate")
	case cert.KeyUsage&x509.KeyUsageDigitalSignature == 0:
		return errors.New("its key usage lacks digitalSignature")
	case !ValidKioskID(cert.Subject.CommonName):
		return errors.New("its common name is not a kiosk id")
	}
	return nil
}

// VerifyDeviceChain checks that cert chains to roots through intermediates
// as of at. Any extended key usage is accepted: the kiosk device policy,
// not an EKU, is what makes a device certificate (CheckDeviceProfile).
func VerifyDeviceChain(cert *x509.Certificate, intermediates []*x509.Certificate, roots *x509.CertPool, at time.Time) error {
	inter := x509.NewCertPool()
	for _, c := range intermediates {
		inter.AddCert(c)
	}
	_, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err
}

// devicePub is the Ed25519 key cert certifies (CheckDeviceProfile first).
func devicePub(cert *x509.Certificate) ed25519.PublicKey {
	pub, _ := cert.PublicKey.(ed25519.PublicKey)
	return pub
}

// LoadDeviceCert reads the kiosk's device certificate (device.cert) and
// checks, before the kiosk signs anything with it, that it is a kiosk device
// certificate for kioskID that certifies key and is valid at now: a package
// head office would refuse must not be made at all.
func LoadDeviceCert(path string, key ed25519.PrivateKey, kioskID string, now time.Time) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("device certificate: %w", err)
	}
	if err := checkOwnDevice(b, key, kioskID); err != nil {
		return nil, fmt.Errorf("device certificate %s: %w", path, err)
	}
	leaf, _, _ := ParseDeviceCert(b)
	switch {
	case now.Before(leaf.NotBefore):
		return nil, fmt.Errorf("device certificate %s: not valid before %s", path, leaf.NotBefore.UTC().Format(time.RFC3339))
	case now.After(leaf.NotAfter):
		return nil, fmt.Errorf("device certificate %s: expired %s; enrol the kiosk again (signkiosk headoffice enrol)",
			path, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return b, nil
}

// checkOwnDevice is what Build and LoadDeviceCert check of the kiosk's own
// device certificate: its profile, its key, its kiosk.
func checkOwnDevice(certPEM []byte, key ed25519.PrivateKey, kioskID string) error {
	leaf, _, err := ParseDeviceCert(certPEM)
	if err != nil {
		return err
	}
	if err := CheckDeviceProfile(leaf); err != nil {
		return fmt.Errorf("not a kiosk device certificate: %w", err)
	}
	if !devicePub(leaf).Equal(key.Public()) {
		return errors.New("it certifies another key than this kiosk's device key")
	}
	if leaf.Subject.CommonName != kioskID {
		return fmt.Errorf("it is kiosk %q's, not kiosk %q's", leaf.Subject.CommonName, kioskID)
	}
	return nil
}
