package failedsession_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/failedsession"
	"almatel.kz/signkiosk/app/failedsession/failedtest"
	"almatel.kz/signkiosk/sync/pki"
)

const kioskID = "ALM-001-K1"

var end = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

type device struct {
	key  ed25519.PrivateKey
	cert []byte
}

func newDevice(t *testing.T, id string) device {
	t.Helper()
	ca, err := pki.LoadOrCreate(t.TempDir(), func() time.Time { return end })
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	path, err := ca.DeviceCert(t.TempDir(), id, key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return device{key, cert}
}

func check(t *testing.T, name string, err error, want string) {
	t.Helper()
	var p *failedsession.Problem
	if !errors.As(err, &p) || p.Check != want {
		t.Errorf("%s: %v; want check %s", name, err, want)
	}
}

func TestSignedRecordRoundTrip(t *testing.T) {
	d := newDevice(t, kioskID)
	r := failedtest.Record(kioskID, "ALM-001", end)
	body := failedtest.Sign(t, r, d.key, d.cert)
	s, err := failedsession.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Verify()
	if err != nil {
		t.Fatal(err)
	}
	if got.RecordID != r.RecordID || len(got.Biometrics) != 5 || got.Biometrics[4].Decision != "fail" || !got.EndedAt.Equal(end) {
		t.Fatalf("round trip: %+v", got)
	}
	// Ed25519 is deterministic: the same record signs to the same bytes,
	// so a kiosk that signs again after a crash sends what it sent.
	if again := failedtest.Sign(t, r, d.key, d.cert); !bytes.Equal(again, body) {
		t.Fatal("signing the same record twice gave other bytes")
	}
}

func TestSignRefuses(t *testing.T) {
	d := newDevice(t, kioskID)
	other := newDevice(t, "ALM-001-K2")
	r := failedtest.Record(kioskID, "ALM-001", end)
	if _, err := failedsession.Sign(r, other.key, d.cert); err == nil {
		t.Error("signed with a key the certificate does not certify")
	}
	if _, err := failedsession.Sign(r, other.key, other.cert); err == nil {
		t.Error("signed with another kiosk's certificate")
	}
	bad := r
	bad.Staff = "+77011234567"
	if _, err := failedsession.Sign(bad, d.key, d.cert); err == nil {
		t.Error("signed a record with a phone number in it")
	}
}

// Each forgery is refused with its own check: nothing is taken on the
// envelope's word, and a record signed by the right key must still be
// strictly the format.
func TestVerifyRefuses(t *testing.T) {
	d := newDevice(t, kioskID)
	other := newDevice(t, "ALM-001-K2")
	good := failedtest.Sign(t, failedtest.Record(kioskID, "ALM-001", end), d.key, d.cert)
	for _, tc := range []struct {
		name, check string
		f           failedtest.Forgery
	}{
		{"altered reason, old signature", failedsession.CheckSignature,
			failedtest.Forgery{Edit: func(m map[string]any) { m["reason"] = "cancelled" }}},
		{"altered, signed by another key", failedsession.CheckSignature,
			failedtest.Forgery{Edit: func(m map[string]any) { m["reason"] = "cancelled" }, Key: other.key}},
		{"another kiosk's certificate and key, this kiosk's name", failedsession.CheckDeviceKiosk,
			failedtest.Forgery{Key: other.key, Cert: other.cert}},
		{"empty signature", failedsession.CheckSignature,
			failedtest.Forgery{Envelope: func(m map[string]any) { m["signature"] = "" }}},
		{"unknown field (the IIN), signed", failedsession.CheckFields,
			failedtest.Forgery{Edit: func(m map[string]any) { m["iin"] = "880101300999" }, Key: d.key}},
		{"unknown field (a name) in an attempt, signed", failedsession.CheckFields,
			failedtest.Forgery{Edit: func(m map[string]any) {
				m["biometrics"].([]any)[0].(map[string]any)["surname"] = "Сәрсенбаев"
			}, Key: d.key}},
		{"a phone number as staff, signed", failedsession.CheckPersonalData,
			failedtest.Forgery{Edit: func(m map[string]any) { m["staff"] = "+77011234567" }, Key: d.key}},
		{"an IIN in the order id, signed", failedsession.CheckPersonalData,
			failedtest.Forgery{Edit: func(m map[string]any) { m["order_id"] = "ORD-880101300999" }, Key: d.key}},
		{"an e-mail as staff, signed", failedsession.CheckPersonalData,
			failedtest.Forgery{Edit: func(m map[string]any) { m["staff"] = "nurlan.s@example.kz" }, Key: d.key}},
		{"a name as the error code, signed", failedsession.CheckFields,
			failedtest.Forgery{Edit: func(m map[string]any) { m["error"] = "Нұрлан" }, Key: d.key}},
		{"keys out of order, signed", failedsession.CheckFormat,
			failedtest.Forgery{Edit: func(map[string]any) {}, Key: d.key}},
		{"unknown envelope field", failedsession.CheckFormat,
			failedtest.Forgery{Envelope: func(m map[string]any) { m["frames"] = []string{"/9j/4AAQ"} }}},
		{"another format", failedsession.CheckFormat,
			failedtest.Forgery{Envelope: func(m map[string]any) { m["format"] = "signkiosk-failed-session/2" }}},
		{"no device certificate", failedsession.CheckDeviceCertificate,
			failedtest.Forgery{Envelope: func(m map[string]any) { m["device_cert"] = "" }}},
		{"a non-device certificate", failedsession.CheckDeviceCertificate,
			failedtest.Forgery{Envelope: func(m map[string]any) {
				m["device_cert"] = "-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n"
			}}},
	} {
		body := failedtest.Forge(t, good, tc.f)
		s, err := failedsession.Parse(body)
		if err == nil {
			_, err = s.Verify()
		}
		check(t, tc.name, err, tc.check)
		// The message names fields, never values.
		if err != nil && (strings.Contains(err.Error(), "880101300999") || strings.Contains(err.Error(), "7011234567") ||
			strings.Contains(err.Error(), "Нұрлан") || strings.Contains(err.Error(), "nurlan")) {
			t.Errorf("%s: the message quotes a value: %v", tc.name, err)
		}
	}
	// A duplicate key: two readers could see two records.
	dup := bytes.Replace(good, []byte(`"format":`), []byte(`"format":"x","Format":`), 1)
	_, err := failedsession.Parse(dup)
	check(t, "duplicate key", err, failedsession.CheckFormat)
	_, err = failedsession.Parse(bytes.Repeat([]byte(" "), failedsession.MaxSize+1))
	check(t, "oversized", err, failedsession.CheckFormat)
}

func TestCheck(t *testing.T) {
	ok := failedtest.Record(kioskID, "ALM-001", end)
	if err := failedsession.Check(ok); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, check string
		edit        func(r *failedsession.Record)
	}{
		{"version", failedsession.CheckFields, func(r *failedsession.Record) { r.V = 2 }},
		{"record id in capitals", failedsession.CheckFields, func(r *failedsession.Record) { r.RecordID = strings.ToUpper(r.RecordID) }},
		{"no office", failedsession.CheckFields, func(r *failedsession.Record) { r.Office = "" }},
		{"a space in staff", failedsession.CheckFields, func(r *failedsession.Record) { r.Staff = "S 1" }},
		{"ended before started", failedsession.CheckFields, func(r *failedsession.Record) { r.EndedAt = r.StartedAt.Add(-time.Second) }},
		{"local time", failedsession.CheckFields, func(r *failedsession.Record) { r.EndedAt = r.EndedAt.In(time.FixedZone("", 5*3600)) }},
		{"attempt after the end", failedsession.CheckFields, func(r *failedsession.Record) { r.Biometrics[0].At = r.EndedAt.Add(time.Second) }},
		{"null moves", failedsession.CheckFields, func(r *failedsession.Record) { r.Biometrics[0].Moves = nil }},
		{"null steps", failedsession.CheckFields, func(r *failedsession.Record) { r.Steps = nil }},
		{"decision", failedsession.CheckFields, func(r *failedsession.Record) { r.Biometrics[0].Decision = "Pass" }},
		{"control character in the camera", failedsession.CheckFields, func(r *failedsession.Record) { r.Camera.Card = "a\nb" }},
		{"IIN in the camera card", failedsession.CheckPersonalData, func(r *failedsession.Record) { r.Camera.Card = "880101300999" }},
	} {
		r := failedtest.Record(kioskID, "ALM-001", end)
		tc.edit(&r)
		check(t, tc.name, failedsession.Check(r), tc.check)
	}
}

func TestRedact(t *testing.T) {
	r := failedtest.Record(kioskID, "ALM-001", end)
	r.Staff = "sarsenbayev"                   // a name as the staff code
	r.OrderID = "ORD-900101300123"            // the IIN in the order id
	r.ProviderSession = "sess-77011234567"    // the phone in the provider's id
	r.Biometrics[0].DecisionID = "d-Nurlan-1" // a name in a decision id
	r.Camera.Card = "ok camera"
	failedsession.Redact(&r, []string{"900101300123", "+7 701 123 45 67", "Sarsenbayev", "Nurlan", "Kairatuly"})
	for name, v := range map[string]string{"staff": r.Staff, "order_id": r.OrderID, "provider_session_id": r.ProviderSession,
		"decision_id": r.Biometrics[0].DecisionID} {
		if v != failedsession.Redacted {
			t.Errorf("%s kept %q", name, v)
		}
	}
	if r.Office != "ALM-001" || r.Camera.Card != "ok camera" || r.Reason != "biometric_failed" {
		t.Errorf("redacted what holds nothing personal: %+v", r)
	}
	if err := failedsession.Check(r); err != nil {
		t.Fatalf("a redacted record must pass: %v", err)
	}
	// A short name is matched as a word, not inside codes.
	r2 := failedtest.Record(kioskID, "ALM-001", end)
	failedsession.Redact(&r2, []string{"Al", "Li"})
	if r2.Office != "ALM-001" || r2.Step != "biometrics" {
		t.Errorf("a two-letter name redacted codes: %+v", r2)
	}
}

func FuzzParseVerify(f *testing.F) {
	f.Add([]byte(`{"format":"signkiosk-failed-session/1","record":{},"signature":"","device_cert":""}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := failedsession.Parse(b)
		if err != nil {
			var p *failedsession.Problem
			if !errors.As(err, &p) {
				t.Fatalf("not a Problem: %v", err)
			}
			return
		}
		_, _ = s.Verify()
	})
}
