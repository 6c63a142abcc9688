package failedsession

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/strictjson"
)

// Format names the envelope's format; another format is refused.
const Format = "signkiosk-failed-session/1"

// MaxSize bounds a signed record: a few KiB in practice.
const MaxSize = 64 << 10

// signedPrefix is put before the record's bytes under the signature, so
// the device key's signature over a record can never pass for its
// signature over anything else it signs (a manifest, a biometric
// submission), nor the reverse.
const signedPrefix = "signkiosk failed-session record v1\n"

// Envelope is what the outbox holds and head office receives: the record
// (as JSON, readable in place), the device key's signature over its exact
// bytes, and the device certificate that certifies the key, as a package
// carries device.pem.
type Envelope struct {
	Format     string          `json:"format"`
	Record     json.RawMessage `json:"record"`
	Signature  []byte          `json:"signature"`   // Ed25519 over signedPrefix ‖ record; base64 in JSON
	DeviceCert string          `json:"device_cert"` // PEM: the kiosk's device certificate, then its CAs (device.pem)
}

// ErrSign is what every error of Sign wraps: the record or the kiosk's key
// or certificate would be refused, so nothing is signed.
var ErrSign = errors.New("failed session: not signed")

// Sign checks r, encodes it canonically and signs it with the kiosk's
// device key; deviceCert (device.pem) must certify that key for r's kiosk:
// a record head office would refuse is not made at all.
func Sign(r Record, key ed25519.PrivateKey, deviceCert []byte) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: device key has %d bytes", ErrSign, len(key))
	}
	if err := Check(r); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSign, err)
	}
	leaf, _, err := pack.ParseDeviceCert(deviceCert)
	if err != nil {
		return nil, fmt.Errorf("%w: device certificate: %w", ErrSign, err)
	}
	if err := pack.CheckDeviceProfile(leaf); err != nil {
		return nil, fmt.Errorf("%w: device certificate: %w", ErrSign, err)
	}
	if pub, _ := leaf.PublicKey.(ed25519.PublicKey); !pub.Equal(key.Public()) || leaf.Subject.CommonName != r.Kiosk {
		return nil, fmt.Errorf("%w: the device certificate is not this kiosk's for this key", ErrSign)
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSign, err)
	}
	env := Envelope{Format: Format, Record: raw, Signature: ed25519.Sign(key, SignedMessage(raw)), DeviceCert: string(deviceCert)}
	b, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSign, err)
	}
	return b, nil
}

// SignedMessage is what the device key signs of a record's bytes raw.
func SignedMessage(raw []byte) []byte { return append([]byte(signedPrefix), raw...) }

// Signed is a parsed envelope: the record's exact bytes, not yet trusted,
// and the device certificate that should have signed them.
type Signed struct {
	Raw           []byte // the record as signed
	Signature     []byte
	Device        *x509.Certificate
	Intermediates []*x509.Certificate
}

// Parse reads an envelope strictly: one JSON object with exactly the
// envelope's fields, no key twice, this format, a kiosk device certificate.
// Errors are *Problem (CheckFormat, CheckDeviceCertificate).
func Parse(body []byte) (Signed, error) {
	if len(body) > MaxSize {
		return Signed{}, problem(CheckFormat, "larger than %d bytes", MaxSize)
	}
	var env Envelope
	if err := decodeStrict(body, &env); err != nil {
		return Signed{}, problem(CheckFormat, "envelope: %v", err)
	}
	if env.Format != Format {
		return Signed{}, problem(CheckFormat, "format is not %s", Format)
	}
	if len(env.Record) == 0 || env.Record[0] != '{' {
		return Signed{}, problem(CheckFormat, "record is not a JSON object")
	}
	if env.DeviceCert == "" {
		return Signed{}, problem(CheckDeviceCertificate, "the record carries no device certificate")
	}
	leaf, inter, err := pack.ParseDeviceCert([]byte(env.DeviceCert))
	if err != nil {
		return Signed{}, problem(CheckDeviceCertificate, "device_cert: %v", err)
	}
	if err := pack.CheckDeviceProfile(leaf); err != nil {
		return Signed{}, problem(CheckDeviceCertificate, "device_cert is not a kiosk device certificate: %v", err)
	}
	return Signed{Raw: env.Record, Signature: env.Signature, Device: leaf, Intermediates: inter}, nil
}

// Kiosk is the kiosk the device certificate names.
func (s Signed) Kiosk() string { return s.Device.Subject.CommonName }

// Verify checks the signature with the device certificate's key and then
// reads the record strictly: no unknown field, every field well formed
// (Check), in canonical form — exactly the bytes json.Marshal makes of it,
// so a signed record has one spelling. Errors are *Problem. The
// certificate's chain and the register are the caller's to judge.
func (s Signed) Verify() (Record, error) {
	pub, _ := s.Device.PublicKey.(ed25519.PublicKey)
	switch {
	case len(s.Signature) == 0:
		return Record{}, problem(CheckSignature, "empty: the record is not signed")
	case len(s.Signature) != ed25519.SignatureSize || !ed25519.Verify(pub, SignedMessage(s.Raw), s.Signature):
		return Record{}, problem(CheckSignature, "the signature does not verify with the device key device_cert certifies")
	}
	var r Record
	if err := decodeStrict(s.Raw, &r); err != nil {
		return Record{}, problem(CheckFields, "record: %v", err)
	}
	if err := Check(r); err != nil {
		return Record{}, err
	}
	canon, err := json.Marshal(r)
	if err != nil || !bytes.Equal(canon, s.Raw) {
		return Record{}, problem(CheckFormat, "record is not in canonical form (as encoding/json writes it, keys in order)")
	}
	if r.Kiosk != s.Kiosk() {
		return Record{}, problem(CheckDeviceKiosk, "the record names kiosk %s but is signed with kiosk %s's device certificate", r.Kiosk, s.Kiosk())
	}
	return r, nil
}

// maxKeyShown bounds a field name quoted in a message: names are the
// sender's choice.
const maxKeyShown = 64

// decodeStrict refuses duplicate keys (strictjson), unknown fields and
// anything after the value; the message names a field, never a value.
func decodeStrict(b []byte, v any) error {
	if err := strictjson.Check(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%s has the wrong type", short(te.Field))
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return fmt.Errorf("unknown field %s", short(name))
		}
		return errors.New("not valid JSON for its fields")
	}
	return nil
}

func short(s string) string {
	if len(s) > maxKeyShown {
		return strings.ToValidUTF8(s[:maxKeyShown], "") + "…"
	}
	return s
}
