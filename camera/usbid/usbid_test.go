package usbid

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	good := map[string]ID{
		"046d:0825":    {0x046d, 0x0825},
		"046D:082D":    {0x046d, 0x082d},
		"  1908:2311 ": {0x1908, 0x2311},
		"0000:ffff":    {0, 0xffff},
	}
	for in, want := range good {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if s := (ID{0x46d, 0x825}).String(); s != "046d:0825" {
		t.Errorf("String %q", s)
	}
	for _, in := range []string{"", "046d", "046d:", ":0825", "046d:825", "046d:08255", "46d:0825", "046d-0825",
		"046g:0825", "046d:0825:1", "0x46:0825", "046d :0825", "+46d:0825", "٠٤٦d:0825"} {
		if id, err := Parse(in); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, %v; want ErrSyntax", in, id, err)
		}
	}
}

func TestParseSysfs(t *testing.T) {
	for in, want := range map[string]uint16{"046d\n": 0x046d, "0825": 0x0825, "FFFF\n": 0xffff} {
		if got, err := ParseSysfs([]byte(in)); err != nil || got != want {
			t.Errorf("ParseSysfs(%q) = %#x, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "\n", "046d\n\n", "046d \n", " 046d", "046", "046d0", "zzzz", "046d\r\n"} {
		if _, err := ParseSysfs([]byte(in)); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseSysfs(%q): %v", in, err)
		}
	}
	long := strings.Repeat("a", 10000)
	if _, err := ParseSysfs([]byte(long)); err == nil || len(err.Error()) > 120 {
		t.Errorf("long input: %v", err)
	}
}

// FuzzParseSysfs: never panics; what it accepts is exactly four hex digits
// (and an optional newline), and spelling the value back gives them.
func FuzzParseSysfs(f *testing.F) {
	for _, s := range []string{"046d\n", "0825", "FFFF\n", "", "\n", "zzzz", "046d\r\n", "12345"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseSysfs(b)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error without ErrSyntax: %v", err)
			}
			return
		}
		s := strings.TrimSuffix(string(b), "\n")
		if got := (ID{Vendor: v}).String()[:4]; !strings.EqualFold(got, s) {
			t.Fatalf("%q parsed to %#04x", b, v)
		}
	})
}

// FuzzParse: never panics; an accepted pair spells back (lower-cased and
// trimmed) to its input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"046d:0825", "046D:082D", " 1908:2311 ", "046d", ":", "046d:0825:1", "g46d:0825"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error without ErrSyntax: %v", err)
			}
			return
		}
		if got := id.String(); !strings.EqualFold(got, strings.TrimSpace(s)) {
			t.Fatalf("%q parsed to %s", s, got)
		}
		if again, err := Parse(id.String()); err != nil || again != id {
			t.Fatalf("%s does not parse back: %v %v", id, again, err)
		}
	})
}
