package staffpin

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHashAndCheck(t *testing.T) {
	enc, err := Hash("482913")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "pbkdf2-sha256$600000$") || strings.Count(enc, "$") != 3 {
		t.Fatalf("format: %q", enc)
	}
	h, err := Parse(enc)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ok := h.Check("482913")
	t.Logf("one check at %d iterations: %v", Iterations, time.Since(start))
	if !ok {
		t.Fatal("right PIN refused")
	}
	if h.Check("482914") {
		t.Error("wrong PIN accepted")
	}
	// The rest at the minimum cost: the race detector makes full ones slow.
	fast, err := hashWith("482913", minIter)
	if err != nil {
		t.Fatal(err)
	}
	h, err = Parse(fast)
	if err != nil {
		t.Fatal(err)
	}
	for _, wrong := range []string{"48291", "4829130", "", "000000", "482913 "} {
		if h.Check(wrong) {
			t.Errorf("wrong PIN %q accepted", wrong)
		}
	}
	// A fresh salt each time: the same PIN never hashes the same.
	again, _ := hashWith("482913", minIter)
	if again == enc {
		t.Error("salt reused")
	}
}

func TestParseMalformed(t *testing.T) {
	good, err := hashWith("1234", minIter)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	cases := map[string]string{
		"empty":         "",
		"plain pin":     "1234",
		"bcrypt":        "$2a$10$abcdefghijklmnopqrstuv",
		"other prf":     "pbkdf2-sha1$" + strings.Join(parts[1:], "$"),
		"few parts":     strings.Join(parts[:3], "$"),
		"extra part":    good + "$x",
		"iter word":     parts[0] + "$many$" + parts[2] + "$" + parts[3],
		"iter too low":  parts[0] + "$1000$" + parts[2] + "$" + parts[3],
		"iter too high": parts[0] + "$99999999$" + parts[2] + "$" + parts[3],
		"bad salt":      parts[0] + "$" + parts[1] + "$!!$" + parts[3],
		"short hash":    parts[0] + "$" + parts[1] + "$" + parts[2] + "$AAAA",
		"padded b64":    parts[0] + "$" + parts[1] + "$" + parts[2] + "$" + parts[3] + "=",
	}
	for name, enc := range cases {
		if _, err := Parse(enc); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	if strings.Contains(ErrMalformed.Error(), "\n") {
		t.Error("error is not one line")
	}
}

func TestValidPIN(t *testing.T) {
	for pin, want := range map[string]bool{
		"1234": true, "123456789012": true, "123": false, "1234567890123": false,
		"12a4": false, "١٢٣٤": false, "12 34": false, "": false,
	} {
		if ValidPIN(pin) != want {
			t.Errorf("ValidPIN(%q) = %v", pin, !want)
		}
	}
}

// The comparison must be constant-time: a plain == or bytes.Equal would
// stop at the first differing byte.
func TestConstantTimeCompare(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(".", "staffpin.go"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	if !strings.Contains(s, "subtle.ConstantTimeCompare(sum, h.hash) == 1") {
		t.Error("Check does not use subtle.ConstantTimeCompare")
	}
	if strings.Contains(s, "bytes.Equal") {
		t.Error("bytes.Equal used for a hash comparison")
	}
}

// An in-memory hash takes the minimum rounds and checks like any other.
func TestHashEphemeral(t *testing.T) {
	enc, err := HashEphemeral("482913")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "pbkdf2-sha256$10000$") {
		t.Fatalf("format: %q", enc)
	}
	h, err := Parse(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Check("482913") || h.Check("482914") {
		t.Fatal("check")
	}
}
