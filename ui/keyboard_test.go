package ui

import (
	"testing"

	"almatel.kz/signkiosk/app/provider"
)

// Every special character the on-screen keyboard offers satisfies the
// rule's "special character" item: a subscriber who types "qwerty12-" is
// not refused with a checklist line they cannot understand.
func TestKeyboardSpecialsCount(t *testing.T) {
	for _, r := range provider.PasswordSpecials + passwordExtras {
		if !provider.IsSpecial(r) {
			t.Errorf("the keyboard offers %q, which the rule does not count as special", r)
		}
	}
	if !provider.CheckPassword("qwerty12-").OK() {
		t.Error(`"qwerty12-" refused`)
	}
}
