package ui

// typed is what the subscriber is typing on the current step: it survives a
// language switch (which rebuilds the screen) and is wiped when the step
// changes. Runes, not strings, so the buffers can be zeroed.
type typed struct {
	code   []rune    // eGov code digits
	pw     [2][]rune // the password and its confirmation
	active int       // which password field the keyboard types into
	reveal bool      // show the password in clear
}

// maxPassword bounds the password field (the rule's floor is 8).
const maxPassword = 64

func (t *typed) wipe() {
	zero(t.code)
	t.code = t.code[:0]
	for i := range t.pw {
		zero(t.pw[i])
		t.pw[i] = t.pw[i][:0]
	}
	t.active, t.reveal = 0, false
}

func zero(r []rune) {
	for i := range r {
		r[i] = 0
	}
}

// dropLast removes the last rune, zeroing it.
func dropLast(r []rune) []rune {
	if len(r) == 0 {
		return r
	}
	r[len(r)-1] = 0
	return r[:len(r)-1]
}
