// Package usbid reads USB vendor and product ids as sysfs spells them
// (idVendor holds "046d\n") and as the kiosk's config lists cameras
// ("046d:0825"). It is its own package so the config can check an
// allow-list without importing the camera code.
package usbid

import (
	"errors"
	"fmt"
	"strings"
)

// ID is a USB vendor:product pair.
type ID struct{ Vendor, Product uint16 }

// String spells the pair as lsusb does: "046d:0825", lower-case hex.
func (id ID) String() string { return fmt.Sprintf("%04x:%04x", id.Vendor, id.Product) }

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("not a USB id")

// ParseHex4 parses one id as four hex digits, either case ("046d", "C52B").
func ParseHex4(s string) (uint16, error) {
	if len(s) != 4 {
		return 0, fmt.Errorf("%w: %q is not 4 hex digits", ErrSyntax, clip(s))
	}
	var v uint16
	for i := 0; i < 4; i++ {
		c := s[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, fmt.Errorf("%w: %q is not 4 hex digits", ErrSyntax, clip(s))
		}
		v = v<<4 | uint16(d)
	}
	return v, nil
}

// ParseSysfs parses the content of a sysfs idVendor or idProduct file: four
// hex digits and the kernel's newline (optional here).
func ParseSysfs(b []byte) (uint16, error) {
	return ParseHex4(strings.TrimSuffix(string(b), "\n"))
}

// Parse parses "vvvv:pppp", e.g. "046d:0825" (white space around is
// allowed, as a config file may have it).
func Parse(s string) (ID, error) {
	t := strings.TrimSpace(s)
	v, p, ok := strings.Cut(t, ":")
	if !ok {
		return ID{}, fmt.Errorf("%w: %q is not vendor:product (e.g. 046d:0825)", ErrSyntax, clip(s))
	}
	vendor, err := ParseHex4(v)
	if err != nil {
		return ID{}, fmt.Errorf("%q: vendor: %w", clip(s), err)
	}
	product, err := ParseHex4(p)
	if err != nil {
		return ID{}, fmt.Errorf("%q: product: %w", clip(s), err)
	}
	return ID{vendor, product}, nil
}

// clip bounds what a message quotes of its input.
func clip(s string) string {
	if len(s) > 32 {
		return strings.ToValidUTF8(s[:32], "") + "…"
	}
	return s
}
