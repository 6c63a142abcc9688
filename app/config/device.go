package config

import "errors"

// Device is the kiosk's identity toward head office: the device
// certificate head office's kiosk CA issued at enrolment (`signkiosk
// headoffice enrol`) for the kiosk's Ed25519 device key,
// <data_dir>/device-ed25519.key. Every package carries it (device.pem), and
// its key signs the manifest.
type Device struct {
	Cert string `toml:"cert"` // the device certificate, PEM; required outside demo mode (the demo enrols its kiosk itself)
}

// ErrNoDeviceCert is the kiosk's refusal to start without a device
// certificate: head office refuses every package without one.
var ErrNoDeviceCert = Fault(errors.New("config: device.cert is required outside demo mode (the kiosk's device certificate from `signkiosk headoffice enrol`)"))

// CertFile is the device certificate's path. Like staff.pin_hash it is not
// checked at load, since the tools (sync, outbox) share the file and sign
// nothing; the kiosk asks for it here.
func (d Device) CertFile(demo bool) (string, error) {
	if d.Cert == "" && !demo {
		return "", ErrNoDeviceCert
	}
	return d.Cert, nil
}
