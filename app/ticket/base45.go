package ticket

import (
	"errors"
	"fmt"
	"strings"
)

// base45Alphabet is RFC 9285's: exactly QR alphanumeric mode, so a ticket
// fills a QR code at 5.5 bits per character instead of 8.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// errBase45 is what every base45 decoding failure wraps.
var errBase45 = errors.New("base45")

// base45Value maps a byte to its base45 value, or -1 if it is not in the alphabet.
var base45Value = func() [256]int8 {
	var t [256]int8
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = int8(i)
	}
	return t
}()

// Base45Encode encodes src as RFC 9285 base45.
func Base45Encode(src []byte) string {
	var b strings.Builder
	b.Grow(len(src)/2*3 + 2)
	for i := 0; i+1 < len(src); i += 2 {
		n := int(src[i])<<8 | int(src[i+1])
		b.WriteByte(base45Alphabet[n%45])
		b.WriteByte(base45Alphabet[n/45%45])
		b.WriteByte(base45Alphabet[n/(45*45)])
	}
	if len(src)%2 == 1 {
		n := int(src[len(src)-1])
		b.WriteByte(base45Alphabet[n%45])
		b.WriteByte(base45Alphabet[n/45])
	}
	return b.String()
}

// Base45Decode decodes RFC 9285 base45 strictly: it rejects characters
// outside the alphabet (including lower case), a length of 3k+1, and groups
// whose value does not fit their bytes (> 65535 for three characters, > 255
// for a final pair), so every byte string has exactly one accepted encoding.
func Base45Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, fmt.Errorf("%w: invalid length %d", errBase45, len(s))
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		end := min(i+3, len(s))
		n, mul := 0, 1
		for j := i; j < end; j++ {
			v := base45Value[s[j]]
			if v < 0 {
				return nil, fmt.Errorf("%w: invalid character at offset %d", errBase45, j)
			}
			n += int(v) * mul
			mul *= 45
		}
		if end-i == 3 {
			if n > 0xFFFF {
				return nil, fmt.Errorf("%w: group at offset %d exceeds 65535", errBase45, i)
			}
			out = append(out, byte(n>>8), byte(n))
			continue
		}
		if n > 0xFF {
			return nil, fmt.Errorf("%w: final group at offset %d exceeds 255", errBase45, i)
		}
		out = append(out, byte(n))
	}
	return out, nil
}
