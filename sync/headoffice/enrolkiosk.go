package headoffice

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"time"

	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/sync/pki"
)

// Enrolment is what EnrolKiosk issued for a kiosk: the paths of the files
// to install on it.
type Enrolment struct {
	Kiosk      string
	CACert     string // head office's CA (sync.ca_cert)
	ClientCert string // mTLS client certificate (sync.client_cert)
	ClientKey  string // its key, 0600 (sync.client_key)
	DeviceCert string // device certificate for the kiosk's device key (device.cert)
	Device     []byte // DeviceCert's PEM
}

// EnrolKiosk enrols kiosk id with head office's kiosk CA p: its client
// certificate and key and the device certificate for its device key pub
// are issued into dir (kept while still valid, see pki), and the device
// certificate is recorded in ix's register. A revoked kiosk gets nothing.
func EnrolKiosk(ctx context.Context, ix Index, p *pki.PKI, dir, id string, pub ed25519.PublicKey, now time.Time) (Enrolment, error) {
	if k, ok, err := ix.Kiosk(ctx, id); err != nil {
		return Enrolment{}, err
	} else if ok && k.Revoked() {
		return Enrolment{}, fmt.Errorf("enrol %s: %w (since %s); enrol the kiosk under a new id", id, ErrRevoked,
			k.RevokedAt.UTC().Format(time.RFC3339))
	}
	e := Enrolment{Kiosk: id, CACert: p.CAPath()}
	var err error
	if e.ClientCert, e.ClientKey, err = p.ClientCert(dir, id); err != nil {
		return Enrolment{}, err
	}
	if e.DeviceCert, err = p.DeviceCert(dir, id, pub); err != nil {
		return Enrolment{}, err
	}
	if e.Device, err = os.ReadFile(e.DeviceCert); err != nil {
		return Enrolment{}, fmt.Errorf("enrol %s: %w", id, err)
	}
	cert, _, err := pack.ParseDeviceCert(e.Device)
	if err != nil {
		return Enrolment{}, fmt.Errorf("enrol %s: device certificate: %w", id, err)
	}
	if err := ix.Enrol(ctx, cert, now); err != nil {
		return Enrolment{}, err
	}
	return e, nil
}
