package headoffice

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestParseContentDigest(t *testing.T) {
	body := []byte("package")
	sum := sha256.Sum256(body)
	b64 := base64.StdEncoding.EncodeToString(sum[:])
	other := sha256.Sum256([]byte("other"))
	otherB64 := base64.StdEncoding.EncodeToString(other[:])
	good := "sha-256=:" + b64 + ":"
	for name, lines := range map[string][]string{
		"ours":                {ContentDigest(body)},
		"parameters":          {good + ";x=y;flag;n=-1.5"},
		"after sha-512":       {"sha-512=:AAAA:, " + good},
		"two lines":           {"sha-512=:AAAA:", good},
		"an empty line":       {"", good, " "},
		"no padding":          {"sha-256=:" + strings.TrimRight(b64, "=") + ":"},
		"every kind of value": {`md5=?1, s="a \"q\" \\ b", n=12.125, i=-42, t=tok/en:x*, l=(a "b" :AAAA:);q=1, e=(), flag, ` + good},
		"tabs around commas":  {"a=1\t,\t" + good + " "},
		"last of repeats":     {"sha-256=:" + otherB64 + ":, " + good},
		"last of two lines":   {"sha-256=:" + otherB64 + ":", good},
	} {
		got, err := parseContentDigest(lines)
		if err != nil || !bytes.Equal(got, sum[:]) {
			t.Errorf("%s: %x %v", name, got, err)
		}
	}
	for name, lines := range map[string][]string{
		"none":                 nil,
		"only empty":           {" "},
		"a token":              {"sha-256=abc"},
		"short":                {"sha-256=:AAAA:"},
		"no sha-256":           {"sha-512=:" + strings.Repeat("A", 88) + ":"},
		"upper-case key":       {"SHA-256=:" + b64 + ":"},
		"junk member":          {"Junk, " + good},
		"junk after the value": {good + " junk"},
		"trailing comma":       {good + ","},
		"inner list":           {"sha-256=(:" + b64 + ":)"},
		"not base64":           {"sha-256=:" + b64[:40] + "!!!=:"},
		"unterminated bytes":   {"sha-256=:" + b64},
		"unterminated string":  {`s="abc, ` + good},
		"bad escape":           {`s="\n", ` + good},
		"bad boolean":          {"b=?2, " + good},
		"long integer":         {"i=1234567890123456, " + good},
		"long decimal":         {"d=1.2345, " + good},
		"bare point":           {"d=1., " + good},
		"last repeat is bad":   {good + ", sha-256=:AAAA:"},
		"unterminated list":    {"l=(a b, " + good},
		"a line of junk":       {good, "?"},
	} {
		if got, err := parseContentDigest(lines); err == nil {
			t.Errorf("%s: accepted %q as %x", name, lines, got)
		}
	}
}

// FuzzParseContentDigest: parsing never panics and yields 32 bytes when it
// succeeds; ContentDigest round-trips, also after any lines that parse as a
// dictionary (the last sha-256 counts); and header lines mean the same
// whether sent as separate lines or one joined with commas.
//
//	go test -run '^$' -fuzz '^FuzzParseContentDigest$' -fuzztime 30s ./sync/headoffice/
func FuzzParseContentDigest(f *testing.F) {
	for _, seed := range []string{
		ContentDigest([]byte("x")),
		"sha-512=:AAAA:, " + ContentDigest(nil),
		"sha-256=:AAAA:",
		"sha-256=abc",
		`a=?1, b="s\"", c=1.5;p=x, d=(1 2);q, e`,
		"sha-256=:" + strings.Repeat("A", 43) + ":\nsha-512=:AA==:",
		"l=(a (b)), x=-",
		"*a.b_c-d=*tok",
	} {
		f.Add(seed, []byte("body"))
	}
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		var lines []string
		for l := range strings.SplitSeq(header, "\n") {
			if l = strings.Trim(l, " \t"); l != "" {
				lines = append(lines, l)
			}
		}
		got, err := parseContentDigest(lines)
		if err == nil && len(got) != sha256.Size {
			t.Fatalf("%q: %d bytes", header, len(got))
		}
		if len(lines) > 0 {
			joined, jerr := parseContentDigest([]string{strings.Join(lines, ", ")})
			if (err == nil) != (jerr == nil) || !bytes.Equal(got, joined) {
				t.Fatalf("%q: lines give %x %v, joined %x %v", header, got, err, joined, jerr)
			}
		}
		sum := sha256.Sum256(body)
		d := ContentDigest(body)
		if rt, err := parseContentDigest([]string{d}); err != nil || !bytes.Equal(rt, sum[:]) {
			t.Fatalf("round trip of %q: %x %v", d, rt, err)
		}
		if err == nil || errors.Is(err, errNoSHA256) || strings.Contains(err.Error(), "sha-256 value") {
			// A dictionary: ours, appended, is its last sha-256.
			if rt, err := parseContentDigest(append(lines, d)); err != nil || !bytes.Equal(rt, sum[:]) {
				t.Fatalf("%q then %q: %x %v", header, d, rt, err)
			}
		}
	})
}
