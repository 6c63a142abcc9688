package ticket

import (
	"bytes"
	"compress/zlib"
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"
)

// testNow is the kiosk clock in tests: a fixed instant, never time.Now.
var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func testVerifier() Verifier {
	return Verifier{
		PublicKey: testKey(1).Public().(ed25519.PublicKey),
		Office:    "ALM-001",
		Skew:      2 * time.Minute,
	}
}

func testPayload() Payload {
	p := NewPayload(DemoOrder(), "ALM-001", "S-0042", testNow.Add(-time.Minute), time.Hour)
	p.TID = "6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
	return p
}

func mustEncode(t testing.TB, p Payload, priv ed25519.PrivateKey) string {
	t.Helper()
	s, err := Encode(p, priv)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return s
}

// pack builds a ticket text from raw inflated bytes, bypassing Encode's checks.
func pack(t testing.TB, data []byte) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return Prefix + Base45Encode(buf.Bytes())
}

// seal signs an arbitrary body the way head office would, so tests can make
// correctly signed tickets that Encode would refuse to mint.
func seal(t testing.TB, body []byte, priv ed25519.PrivateKey) string {
	t.Helper()
	sig := ed25519.Sign(priv, append([]byte(Prefix), body...))
	return pack(t, append(sig, body...))
}

func sealPayload(t testing.TB, p Payload, priv ed25519.PrivateKey) string {
	t.Helper()
	body, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return seal(t, body, priv)
}

// insertJSON returns body with extra inserted after the first occurrence of
// at, failing the test if at is not there (the case would test nothing).
func insertJSON(t testing.TB, body []byte, at, extra string) []byte {
	t.Helper()
	i := bytes.Index(body, []byte(at))
	if i < 0 {
		t.Fatalf("%q not in the payload", at)
	}
	i += len(at)
	return append(append(append([]byte{}, body[:i]...), extra...), body[i:]...)
}
