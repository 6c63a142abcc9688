// Package staffpin hashes and checks the staff menu's PIN. The config holds
// only the hash, in the form
//
//	pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>
//
// (standard base64 without padding). PBKDF2 comes from the standard library,
// so the format can be checked anywhere with a few lines of code.
package staffpin

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Iterations for new hashes (OWASP's 2023 figure for PBKDF2-SHA256): one
// check measured ~91 ms on the kiosk's 2-core VM, fast enough for a keypad,
// and it makes brute-forcing a PIN from a leaked config cost that per guess.
const Iterations = 600_000

const (
	prefix  = "pbkdf2-sha256"
	saltLen = 16
	keyLen  = 32
	// Bounds on a parsed hash's iterations: below is too weak to accept, above
	// would freeze the menu (a config typo must not hang the kiosk).
	minIter = 10_000
	maxIter = 10_000_000
)

// ErrMalformed is returned for a hash that is not in the format above.
var ErrMalformed = errors.New("staff pin_hash is not pbkdf2-sha256$<iterations>$<salt b64>$<hash b64> (make one with `signkiosk staff-pin`)")

// ValidPIN reports whether pin is 4–12 ASCII digits.
func ValidPIN(pin string) bool {
	if len(pin) < 4 || len(pin) > 12 {
		return false
	}
	for _, r := range pin {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Hash returns the encoded hash of pin with a fresh random salt.
func Hash(pin string) (string, error) {
	return hashWith(pin, Iterations)
}

// HashEphemeral hashes a PIN whose hash never leaves memory, such as the
// demo kiosk's random PIN: the 600,000 rounds guard a hash leaked with a
// config file, and there is none, so it takes the minimum this package
// accepts (the menu's lockout still bounds guessing at the keypad).
func HashEphemeral(pin string) (string, error) {
	return hashWith(pin, minIter)
}

func hashWith(pin string, iter int) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("staffpin: salt: %w", err)
	}
	sum, err := pbkdf2.Key(sha256.New, pin, salt, iter, keyLen)
	if err != nil {
		return "", fmt.Errorf("staffpin: %w", err)
	}
	enc := base64.RawStdEncoding
	return fmt.Sprintf("%s$%d$%s$%s", prefix, iter, enc.EncodeToString(salt), enc.EncodeToString(sum)), nil
}

// Hashed is a parsed hash, ready to check PINs against.
type Hashed struct {
	iter       int
	salt, hash []byte
}

// Parse checks encoded's format.
func Parse(encoded string) (Hashed, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 || parts[0] != prefix {
		return Hashed{}, ErrMalformed
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < minIter || iter > maxIter {
		return Hashed{}, ErrMalformed
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[2])
	if err != nil || len(salt) < 8 {
		return Hashed{}, ErrMalformed
	}
	sum, err := enc.DecodeString(parts[3])
	if err != nil || len(sum) < 16 {
		return Hashed{}, ErrMalformed
	}
	return Hashed{iter: iter, salt: salt, hash: sum}, nil
}

// Check reports whether pin matches. The comparison is constant-time, so
// the time taken says nothing about how much of a guess was right.
func (h Hashed) Check(pin string) bool {
	sum, err := pbkdf2.Key(sha256.New, pin, h.salt, h.iter, len(h.hash))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(sum, h.hash) == 1
}
