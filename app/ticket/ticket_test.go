package ticket

import (
	"bytes"
	"compress/zlib"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	p := testPayload()
	text := mustEncode(t, p, testKey(1))
	if !strings.HasPrefix(text, Prefix) {
		t.Fatalf("text %q lacks prefix", text[:10])
	}
	for i := 0; i < len(text); i++ {
		// Everything must be QR alphanumeric so the code stays small.
		if !strings.ContainsRune(base45Alphabet, rune(text[i])) {
			t.Fatalf("character %q at %d is not QR alphanumeric", text[i], i)
		}
	}
	got, err := testVerifier().Verify(text, testNow)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, p)
	}
	// A trailing newline from a scanner or a pasted line is tolerated.
	if _, err := testVerifier().Verify(text+"\r\n", testNow); err != nil {
		t.Fatalf("Verify with newline: %v", err)
	}
	t.Logf("demo ticket: %d characters", len(text))
}

func TestVerifyRejects(t *testing.T) {
	good := testPayload()
	priv := testKey(1)
	with := func(f func(*Payload)) Payload {
		p := testPayload()
		f(&p)
		return p
	}
	valid := mustEncode(t, good, priv)

	body, _ := json.Marshal(good)
	sig := ed25519.Sign(priv, append([]byte(Prefix), body...))
	altered := bytes.Replace(body, []byte("HOME-500"), []byte("HOME-900"), 1)

	var bomb bytes.Buffer
	zw := zlib.NewWriter(&bomb)
	zw.Write(make([]byte, 10<<20))
	zw.Close()

	// Appending a zlib stream's worth of junk: still valid base45.
	raw, _ := Base45Decode(strings.TrimPrefix(valid, Prefix))
	trailing := Prefix + Base45Encode(append(raw, 0, 0))

	tests := []struct {
		name string
		text string
		now  time.Time
		want error
		msg  string // exact message when set
	}{
		{name: "empty", text: "", want: ErrNotTicket, msg: "not a session ticket"},
		{name: "url", text: "https://almatel.kz/", want: ErrNotTicket},
		{name: "lower-case prefix", text: "akt1:" + strings.TrimPrefix(valid, Prefix), want: ErrNotTicket},
		{name: "other version prefix", text: "AKT2:" + strings.TrimPrefix(valid, Prefix), want: ErrNotTicket},
		{name: "bad base45 char", text: valid[:20] + "a" + valid[21:], want: ErrEncoding},
		{name: "bad base45 length", text: valid + "A", want: ErrEncoding},
		{name: "not zlib", text: Prefix + Base45Encode([]byte("hello, world")), want: ErrEncoding},
		{name: "truncated zlib", text: Prefix + Base45Encode(raw[:len(raw)-6]), want: ErrEncoding},
		{name: "trailing junk", text: trailing, want: ErrEncoding},
		{name: "too short", text: pack(t, make([]byte, 64)), want: ErrEncoding},
		{name: "signed non-JSON", text: seal(t, []byte("not json"), priv), want: ErrEncoding},
		{name: "signed JSON with wrong types", text: seal(t, []byte(`{"v":1,"tid":5}`), priv), want: ErrEncoding},
		{name: "text too long", text: Prefix + strings.Repeat("0", MaxTextLen), want: ErrTooLarge},
		{name: "zlib bomb", text: Prefix + Base45Encode(bomb.Bytes()), want: ErrTooLarge},
		{name: "other key", text: mustEncode(t, good, testKey(2)), want: ErrSignature,
			msg: "ticket signature is not valid (forged or altered)"},
		{name: "altered payload", text: pack(t, append(sig, altered...)), want: ErrSignature},
		{name: "zero signature", text: pack(t, append(make([]byte, 64), body...)), want: ErrSignature},
		{name: "version 2", text: sealPayload(t, with(func(p *Payload) { p.V = 2 }), priv), want: ErrVersion},
		{name: "version missing", text: seal(t, []byte(`{"tid":"x"}`), priv), want: ErrVersion},
		{name: "version 2 other layout", text: seal(t, []byte(`{"v":2,"order":"elsewhere"}`), priv), want: ErrVersion},
		{name: "expired", text: valid, now: testNow.Add(2 * time.Hour), want: ErrExpired,
			msg: "ticket expired at 2026-03-02T10:59:00Z"},
		{name: "expired exactly at exp", text: valid, now: good.ExpiresAt(), want: ErrExpired},
		{name: "issued in the future", text: valid, now: testNow.Add(-10 * time.Minute), want: ErrNotYetValid,
			msg: "ticket is not valid until 2026-03-02T09:59:00Z (check the kiosk clock)"},
		{name: "other office", text: mustEncode(t, with(func(p *Payload) { p.Office = "ALM-002" }), priv),
			want: ErrOtherOffice, msg: "ticket is for office ALM-002, this kiosk is ALM-001"},
		{name: "no tid", text: sealPayload(t, with(func(p *Payload) { p.TID = "" }), priv), want: ErrIncomplete},
		{name: "no office", text: sealPayload(t, with(func(p *Payload) { p.Office = "" }), priv), want: ErrIncomplete},
		{name: "no staff", text: sealPayload(t, with(func(p *Payload) { p.Staff = "" }), priv), want: ErrIncomplete},
		{name: "no order id", text: sealPayload(t, with(func(p *Payload) { p.Order.ID = "" }), priv), want: ErrIncomplete},
		{name: "short IIN", text: sealPayload(t, with(func(p *Payload) { p.Order.Subscriber.IIN = "90010130012" }), priv),
			want: ErrIncomplete, msg: "ticket is incomplete: subscriber IIN must be 12 digits"},
		{name: "IIN with letters", text: sealPayload(t, with(func(p *Payload) { p.Order.Subscriber.IIN = "90010130012X" }), priv), want: ErrIncomplete},
		{name: "no surname", text: sealPayload(t, with(func(p *Payload) { p.Order.Subscriber.Surname = "" }), priv), want: ErrIncomplete},
		{name: "bad lang", text: sealPayload(t, with(func(p *Payload) { p.Order.Lang = "de" }), priv), want: ErrIncomplete},
		{name: "no exp", text: sealPayload(t, with(func(p *Payload) { p.EXP = 0 }), priv), want: ErrIncomplete},
		{name: "exp before iat", text: sealPayload(t, with(func(p *Payload) { p.EXP = p.IAT - 1 }), priv), want: ErrIncomplete},
		// Genuinely signed, so only the duplicate is wrong: the last "office"
		// is this kiosk's and used to win.
		{name: "duplicate office", text: seal(t, insertJSON(t, body, `{`, `"office":"ALM-002",`), priv),
			want: ErrDuplicateKey, msg: `ticket payload: duplicate key "office"`},
		{name: "duplicate office in another case", text: seal(t, insertJSON(t, body, `{`, `"OFFICE":"ALM-002",`), priv),
			want: ErrDuplicateKey, msg: `ticket payload: duplicate key "office"`},
		{name: "duplicate subscriber IIN", text: seal(t, insertJSON(t, body, `"subscriber":{`, `"iin":"850615400456",`), priv),
			want: ErrDuplicateKey, msg: `ticket payload: duplicate key "iin"`},
		{name: "duplicate version", text: seal(t, insertJSON(t, body, `{`, `"v":2,`), priv), want: ErrDuplicateKey},
		{name: "signed JSON with trailing data", text: seal(t, append(bytes.Clone(body), " {}"...), priv), want: ErrEncoding},
	}
	sentinels := []error{ErrNotTicket, ErrEncoding, ErrTooLarge, ErrSignature, ErrVersion,
		ErrExpired, ErrNotYetValid, ErrOtherOffice, ErrIncomplete, ErrReused, ErrDuplicateKey}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := tc.now
			if now.IsZero() {
				now = testNow
			}
			_, err := testVerifier().Verify(tc.text, now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			for _, s := range sentinels {
				if s != tc.want && errors.Is(err, s) {
					t.Errorf("error %v also matches %v", err, s)
				}
			}
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("message %q, want %q", err.Error(), tc.msg)
			}
			assertNoPII(t, err.Error())
		})
	}
}

// assertNoPII fails if msg carries any of the demo subscriber's data.
func assertNoPII(t *testing.T, msg string) {
	t.Helper()
	s := DemoOrder().Subscriber
	for _, v := range []string{s.IIN, s.Surname, s.Given, s.Patronymic, s.Phone, "90010130012"} {
		if strings.Contains(msg, v) {
			t.Errorf("message %q contains personal data", msg)
		}
	}
}

func TestVerifySkewWindow(t *testing.T) {
	p := testPayload()
	p.IAT = testNow.Add(90 * time.Second).Unix() // within the 2 min skew
	text := mustEncode(t, p, testKey(1))
	if _, err := testVerifier().Verify(text, testNow); err != nil {
		t.Fatalf("within skew: %v", err)
	}
	v := testVerifier()
	v.Skew = 0
	if _, err := v.Verify(text, testNow); !errors.Is(err, ErrNotYetValid) {
		t.Fatalf("no skew: %v, want ErrNotYetValid", err)
	}
}

func TestVerifierMisconfigured(t *testing.T) {
	text := mustEncode(t, testPayload(), testKey(1))
	for name, v := range map[string]Verifier{
		"no key":    {Office: "ALM-001"},
		"short key": {Office: "ALM-001", PublicKey: make(ed25519.PublicKey, 10)},
		"no office": {PublicKey: testKey(1).Public().(ed25519.PublicKey)},
	} {
		if _, err := v.Verify(text, testNow); err == nil {
			t.Errorf("%s: Verify succeeded", name)
		}
	}
}

func TestEncodeRefuses(t *testing.T) {
	priv := testKey(1)
	for _, tc := range []struct {
		name string
		mod  func(*Payload)
		want error
	}{
		{"version 0", func(p *Payload) { p.V = 0 }, ErrVersion},
		{"tid not uuid", func(p *Payload) { p.TID = "T-1" }, ErrIncomplete},
		{"office with space", func(p *Payload) { p.Office = "ALM 001" }, ErrIncomplete},
		{"no order id", func(p *Payload) { p.Order.ID = "" }, ErrIncomplete},
		{"IIN 13 digits", func(p *Payload) { p.Order.Subscriber.IIN = "9001013001234" }, ErrIncomplete},
		{"no phone", func(p *Payload) { p.Order.Subscriber.Phone = "" }, ErrIncomplete},
		{"no tariff", func(p *Payload) { p.Order.Tariff.Code = "" }, ErrIncomplete},
		{"no address", func(p *Payload) { p.Order.Address = "" }, ErrIncomplete},
		{"zero ttl", func(p *Payload) { p.EXP = p.IAT }, ErrIncomplete},
		{"huge address", func(p *Payload) { p.Order.Address = strings.Repeat("Абай ", 4000) }, ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testPayload()
			tc.mod(&p)
			if _, err := Encode(p, priv); !errors.Is(err, tc.want) {
				t.Fatalf("Encode = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := Encode(testPayload(), nil); err == nil {
		t.Fatal("Encode with nil key succeeded")
	}
}

// An incompressible order that still fits 16 KiB inflated must not produce
// text the kiosk would refuse as too large.
func TestEncodeTextLimit(t *testing.T) {
	p := testPayload()
	noise := make([]byte, 4000)
	rand.NewChaCha8([32]byte{1}).Read(noise)
	p.Order.Address = hex.EncodeToString(noise) // 8000 bytes, ~4000 compressed
	if _, err := Encode(p, testKey(1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Encode = %v, want ErrTooLarge", err)
	}
}
