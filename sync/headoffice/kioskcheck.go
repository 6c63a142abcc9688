package headoffice

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"almatel.kz/signkiosk/app/cades"
	"almatel.kz/signkiosk/app/pack"
)

// Head office's own checks of a package, beside pack.Verify's: who made
// it. Each refusal is a 422 naming its check.
const (
	CheckKioskRevoked  = "kiosk_revoked"  // the signing kiosk's enrolment is not revoked
	CheckKioskEnrolled = "kiosk_enrolled" // its device certificate is one head office issued to an enrolled kiosk
	CheckKioskClient   = "kiosk_client"   // the kiosk that signed it is the one delivering it (the mTLS client)
)

// registerTimeout bounds a register lookup during a handshake.
const registerTimeout = 5 * time.Second

// kioskRefusal is why a package's kiosk is refused.
type kioskRefusal struct {
	check, msg string
}

// checkKiosk judges the kiosk that signed a package (its device
// certificate, as pack.Verify read it) against the register and the mTLS
// client cn. No device certificate leaves it to pack.Verify's checks. On
// success it returns head office's checks, passed, for the kept report.
func (s *Server) checkKiosk(ctx context.Context, cn string, sum pack.Summary) ([]cades.Check, *kioskRefusal, error) {
	dev := sum.Device
	if dev == nil || pack.CheckDeviceProfile(dev) != nil {
		return nil, nil, nil
	}
	return s.judgeSigner(ctx, cn, dev, "package")
}

// judgeSigner judges the kiosk whose device certificate dev signed what
// (a "package", a failed-session "record") against the register and the
// mTLS client cn: the same checks, and the same words, for both.
func (s *Server) judgeSigner(ctx context.Context, cn string, dev *x509.Certificate, what string) ([]cades.Check, *kioskRefusal, error) {
	kiosk := dev.Subject.CommonName
	k, known, err := s.cfg.Index.Kiosk(ctx, kiosk)
	if err != nil {
		return nil, nil, err
	}
	if known && k.Revoked() {
		return nil, &kioskRefusal{CheckKioskRevoked, fmt.Sprintf("the %s is signed by kiosk %s, whose enrolment head office revoked at %s",
			what, kiosk, k.RevokedAt.UTC().Format(time.RFC3339))}, nil
	}
	enrolled := false
	if known {
		if enrolled, err = s.cfg.Index.DeviceEnrolled(ctx, dev); err != nil {
			return nil, nil, err
		}
	}
	switch {
	case !known:
		return nil, &kioskRefusal{CheckKioskEnrolled, fmt.Sprintf("the %s is signed by kiosk %s, which head office has not enrolled", what, kiosk)}, nil
	case !enrolled:
		return nil, &kioskRefusal{CheckKioskEnrolled, fmt.Sprintf(
			"the %s is signed by kiosk %s with a device certificate head office did not issue it (serial %s)", what, kiosk, dev.SerialNumber.Text(16))}, nil
	case kiosk != cn:
		return nil, &kioskRefusal{CheckKioskClient, fmt.Sprintf(
			"the %s is signed by kiosk %s but delivered by kiosk %s: a kiosk delivers only its own %ss", what, kiosk, cn, what)}, nil
	}
	return []cades.Check{
		{ID: CheckKioskRevoked, Status: cades.Passed, Reason: "kiosk " + kiosk + " is in service"},
		{ID: CheckKioskEnrolled, Status: cades.Passed, Reason: "the device certificate is one head office issued to kiosk " + kiosk},
		{ID: CheckKioskClient, Status: cades.Passed, Reason: "kiosk " + kiosk + " delivered it itself"},
	}, nil, nil
}

// clientRevoked reports whether the mTLS client cn is a revoked kiosk.
func (s *Server) clientRevoked(ctx context.Context, cn string) (Kiosk, bool, error) {
	k, ok, err := s.cfg.Index.Kiosk(ctx, cn)
	if err != nil {
		return Kiosk{}, false, err
	}
	return k, ok && k.Revoked(), nil
}

// TLSConfig is base (pki.ServerTLS) with head office's own test of every
// client certificate, at each handshake and resumption: a revoked kiosk is
// refused, and so is a certificate made for something else than mTLS (a
// kiosk device certificate, whose key only signs manifests). A register
// that cannot be read refuses too: nothing is let in unchecked.
func (s *Server) TLSConfig(base *tls.Config) *tls.Config {
	cfg := base.Clone()
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return nil // no certificate: ClientAuth decides
		}
		leaf := cs.PeerCertificates[0]
		if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageClientAuth) || pack.CheckDeviceProfile(leaf) == nil {
			return errors.New("head office: the client certificate is not a kiosk's mTLS certificate")
		}
		ctx, cancel := context.WithTimeout(context.Background(), registerTimeout)
		defer cancel()
		k, revoked, err := s.clientRevoked(ctx, leaf.Subject.CommonName)
		switch {
		case err != nil:
			s.cfg.Log.Error().Err(err).Msg("kiosk register unreadable; connection refused")
			return errors.New("head office: cannot check the kiosk now")
		case revoked:
			s.cfg.Log.Warn().Str("kiosk", k.ID).Str("check", CheckKioskRevoked).Msg("connection refused: kiosk revoked")
			return fmt.Errorf("head office: kiosk %s is revoked", k.ID)
		}
		return nil
	}
	return cfg
}
