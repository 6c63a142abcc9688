package session

import "almatel.kz/signkiosk/app/provider"

// The password rule is the provider's (app/provider): one definition for
// the machine, the UI's live checklist and the simulator.
type PasswordChecks = provider.PasswordCheck

// CheckPassword evaluates the rule: ≥8 characters, ≥1 Latin letter, ≥1
// digit, ≥1 of @$!%*#?&.
func CheckPassword(pw string) PasswordChecks { return provider.CheckPassword(pw) }

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
