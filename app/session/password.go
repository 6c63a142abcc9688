package session

import "strings"

// PasswordSpecials are the special characters the rule names (procedure step 8).
const PasswordSpecials = "@$!%*#?&"

// PasswordMinLen is our floor on length; the procedure names none, the
// provider's rule does (and eight is the least a signing key deserves).
const PasswordMinLen = 8

// PasswordChecks is the live checklist on the password screen.
type PasswordChecks struct {
	Length, Letter, Digit, Special bool
}

// OK reports whether every rule holds.
func (c PasswordChecks) OK() bool { return c.Length && c.Letter && c.Digit && c.Special }

// CheckPassword evaluates the rule: ≥8 characters, ≥1 letter, ≥1 digit,
// ≥1 of @$!%*#?&.
func CheckPassword(pw string) PasswordChecks {
	var c PasswordChecks
	c.Length = len([]rune(pw)) >= PasswordMinLen
	for _, r := range pw {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			c.Letter = true
		case r >= '0' && r <= '9':
			c.Digit = true
		case strings.ContainsRune(PasswordSpecials, r):
			c.Special = true
		}
	}
	return c
}

// validCode reports whether s is six ASCII digits.
func validCode(s string) bool {
	if len(s) != 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
