package sim

import (
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/provider"
)

// TrustKiosks adds kiosk CAs (PEM) whose device certificates may sign
// biometric submissions: the demo's head office makes its kiosk CA after
// the simulator starts.
func (s *Simulator) TrustKiosks(caPEM []byte) error {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return errors.New("sim: kiosk roots: no PEM certificate")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kioskRoots.AppendCertsFromPEM(caPEM)
	return nil
}

func (s *Simulator) roots() *x509.CertPool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kioskRoots.Clone()
}

// errNotEnrolled and errBadSignature name the two refusals of a device.
var (
	errNotEnrolled  = errors.New("not an enrolled kiosk's device certificate")
	errBadSignature = errors.New("the device signature does not verify")
)

// checkDevice verifies that req is signed by an enrolled kiosk's device key:
// a kiosk device certificate chaining to the kiosk roots at now, naming the
// kiosk that opened the session (when it said), whose key signed
// req.SignedData(sessionID).
func (s *Simulator) checkDevice(req provider.BiometricsRequest, sessionID, kioskID string, now time.Time) error {
	leaf, inter, err := pack.ParseDeviceCert(req.DeviceCert)
	if err != nil {
		return fmt.Errorf("%w: %w", errNotEnrolled, err)
	}
	if err := pack.CheckDeviceProfile(leaf); err != nil {
		return fmt.Errorf("%w: %w", errNotEnrolled, err)
	}
	if err := pack.VerifyDeviceChain(leaf, inter, s.roots(), now); err != nil {
		return fmt.Errorf("%w: %w", errNotEnrolled, err)
	}
	if kioskID != "" && leaf.Subject.CommonName != kioskID {
		return fmt.Errorf("%w: kiosk %q's, the session is kiosk %q's", errNotEnrolled, leaf.Subject.CommonName, kioskID)
	}
	pub, _ := leaf.PublicKey.(ed25519.PublicKey)
	if len(req.Signature) != ed25519.SignatureSize || !ed25519.Verify(pub, req.SignedData(sessionID), req.Signature) {
		return errBadSignature
	}
	return nil
}
