package provider

import "testing"

// The rule's special character is any printable ASCII one but a letter or
// digit: the procedure's "@$!%*#?&" are examples, and the kiosk's keyboard
// offers "- _ . + =" too.
func TestCheckPassword(t *testing.T) {
	cases := []struct {
		pw   string
		want PasswordCheck
	}{
		{"qwerty12-", PasswordCheck{Length: true, Letter: true, Digit: true, Special: true}},
		{"qwerty12_", PasswordCheck{Length: true, Letter: true, Digit: true, Special: true}},
		{"a1.b2+c3=", PasswordCheck{Length: true, Letter: true, Digit: true, Special: true}},
		{"aB3$xxxx", PasswordCheck{Length: true, Letter: true, Digit: true, Special: true}},
		{"abc 1234", PasswordCheck{Length: true, Letter: true, Digit: true}}, // a space is no special character
		{"qwerty12", PasswordCheck{Length: true, Letter: true, Digit: true}},
		{"12345678!", PasswordCheck{Length: true, Digit: true, Special: true}},
		{"пароль12!", PasswordCheck{Length: true, Digit: true, Special: true}}, // Cyrillic letters are not Latin
		{"a1!", PasswordCheck{Letter: true, Digit: true, Special: true}},
		{"", PasswordCheck{}},
	}
	for _, c := range cases {
		if got := CheckPassword(c.pw); got != c.want {
			t.Errorf("CheckPassword(%q) = %+v, want %+v", c.pw, got, c.want)
		}
	}
	for r := rune(0); r < 128; r++ {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if want := r > ' ' && r < 127 && !alnum; IsSpecial(r) != want {
			t.Errorf("IsSpecial(%q) = %v", r, !want)
		}
	}
	if IsSpecial('№') || IsSpecial('«') {
		t.Error("a non-ASCII symbol counted as special")
	}
}
