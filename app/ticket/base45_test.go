package ticket

import (
	"bytes"
	"crypto/rand"
	"testing"
)

// RFC 9285 section 4.3 and 4.4 examples.
var base45Vectors = []struct {
	raw, enc string
}{
	{"", ""},
	{"AB", "BB8"},
	{"Hello!!", "%69 VD92EX0"},
	{"base-45", "UJCLQE7W581"},
	{"ietf!", "QED8WEX0"},
	{"\x00", "00"},
	{"\x00\x00", "000"},
	{"\xff", "U5"},
	{"\xff\xff", "FGW"},
}

func TestBase45Vectors(t *testing.T) {
	for _, tc := range base45Vectors {
		if got := Base45Encode([]byte(tc.raw)); got != tc.enc {
			t.Errorf("Base45Encode(%q) = %q, want %q", tc.raw, got, tc.enc)
		}
		got, err := Base45Decode(tc.enc)
		if err != nil {
			t.Errorf("Base45Decode(%q): %v", tc.enc, err)
			continue
		}
		if string(got) != tc.raw {
			t.Errorf("Base45Decode(%q) = %q, want %q", tc.enc, got, tc.raw)
		}
	}
}

func TestBase45DecodeRejects(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"length 3k+1", "A"},
		{"length 3k+1 long", "BB8B"},
		{"group over 65535 (RFC example)", "GGW"},
		{"largest triple", "ZZZ"},
		{"final pair over 255", "::"},
		{"final pair just over 255", "V5"},
		{"lower case", "bb8"},
		{"newline", "BB\n"},
		{"non-ASCII", "BBé"},
		{"NUL", "BB\x00"},
		{"valid then bad group", "BB8GGW"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := Base45Decode(tc.in); err == nil {
				t.Fatalf("Base45Decode(%q) = %q, want error", tc.in, got)
			}
		})
	}
}

func TestBase45RoundTrip(t *testing.T) {
	for n := 0; n < 300; n++ {
		src := make([]byte, n)
		rand.Read(src)
		enc := Base45Encode(src)
		got, err := Base45Decode(enc)
		if err != nil {
			t.Fatalf("len %d: %v", n, err)
		}
		if !bytes.Equal(got, src) {
			t.Fatalf("len %d: round trip differs", n)
		}
	}
}

func FuzzBase45Decode(f *testing.F) {
	for _, tc := range base45Vectors {
		f.Add(tc.enc)
	}
	f.Add("GGW")
	f.Add("::")
	f.Add("A")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Base45Decode(s)
		if err != nil {
			return
		}
		// Strict decoding means one encoding per byte string.
		if enc := Base45Encode(got); enc != s {
			t.Fatalf("Base45Decode(%q) accepted a non-canonical form of %q", s, enc)
		}
	})
}
