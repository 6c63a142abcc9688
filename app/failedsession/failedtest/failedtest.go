// Package failedtest makes failed-session records for tests: a valid one
// as a kiosk makes it, and what a forger could make of it.
package failedtest

import (
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"almatel.kz/signkiosk/app/failedsession"
)

// Record is a biometric failure on kiosk at office, ended at end: five
// attempts judged no_match, the fifth a fail.
func Record(kiosk, office string, end time.Time) failedsession.Record {
	end = end.UTC()
	start := end.Add(-6 * time.Minute)
	r := failedsession.Record{
		V: failedsession.Version, RecordID: uuid.NewString(), TicketID: uuid.NewString(),
		Office: office, Staff: "S-0042", Kiosk: kiosk, OrderID: "ORD-2026-000123", Lang: "kk",
		ProviderSession: uuid.NewString(), Step: "biometrics", Reason: "biometric_failed", Error: "no_match",
		Biometrics: []failedsession.Attempt{}, StartedAt: start, EndedAt: end, AppVersion: "test",
		Camera: failedsession.Camera{Driver: "synthetic", Card: "demo subscriber"},
	}
	for i, step := range []string{"welcome", "code", "review", "privacy", "biometrics"} {
		r.Steps = append(r.Steps, failedsession.Mark{Step: step, At: start.Add(time.Duration(i) * time.Minute)})
	}
	for i := range 5 {
		d := "retry"
		if i == 4 {
			d = "fail"
		}
		r.Biometrics = append(r.Biometrics, failedsession.Attempt{DecisionID: uuid.NewString(), Decision: d, Reason: "no_match",
			ChallengeID: uuid.NewString(), Moves: []string{"turn_left"}, Liveness: 0.93, Match: 0.12,
			At: start.Add(4*time.Minute + time.Duration(i)*10*time.Second)})
	}
	return r
}

// Sign signs r as the kiosk would.
func Sign(t testing.TB, r failedsession.Record, key ed25519.PrivateKey, certPEM []byte) []byte {
	t.Helper()
	b, err := failedsession.Sign(r, key, certPEM)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Forgery changes a signed record: Edit changes the record's JSON as a
// map (re-encoded, keys sorted), Raw replaces its bytes outright, Key
// re-signs it (nil keeps the old signature), Cert replaces the device
// certificate, Envelope edits the envelope's map last.
type Forgery struct {
	Edit     func(m map[string]any)
	Raw      []byte
	Key      ed25519.PrivateKey
	Cert     []byte
	Envelope func(m map[string]any)
}

// Forge applies f to the signed record body.
func Forge(t testing.TB, body []byte, f Forgery) []byte {
	t.Helper()
	var env failedsession.Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	raw := []byte(env.Record)
	if f.Edit != nil {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		f.Edit(m)
		var err error
		if raw, err = json.Marshal(m); err != nil {
			t.Fatal(err)
		}
	}
	if f.Raw != nil {
		raw = f.Raw
	}
	env.Record = raw
	if f.Key != nil {
		env.Signature = ed25519.Sign(f.Key, failedsession.SignedMessage(raw))
	}
	if f.Cert != nil {
		env.DeviceCert = string(f.Cert)
	}
	out, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	if f.Envelope != nil {
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatal(err)
		}
		f.Envelope(m)
		if out, err = json.Marshal(m); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
