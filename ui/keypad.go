package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// keypad is the on-screen numeric keypad for the eGov code: 1–9, Clear, 0,
// backspace, and OK below.
type keypad struct {
	obj  fyne.CanvasObject
	ok   *widget.Button
	keys []*widget.Button // the digits, Clear and backspace
}

// Key size: a fingertip with room to spare.
const keypadW, keypadH = 120, 80

func newKeypad(l loc, digit func(rune), back, clearAll, ok func()) *keypad {
	k := &keypad{}
	keys := make([]fyne.CanvasObject, 0, 12)
	key := func(b *widget.Button) {
		k.keys = append(k.keys, b)
		keys = append(keys, sized(b, keypadW, keypadH))
	}
	for _, r := range "123456789" {
		key(widget.NewButton(string(r), func() { digit(r) }))
	}
	key(widget.NewButton(l.T("keypad.clear"), clearAll))
	key(widget.NewButton("0", func() { digit('0') }))
	key(widget.NewButtonWithIcon("", theme.NavigateBackIcon(), back))
	k.ok = button(l.T("code.ok"), true, ok)
	k.obj = container.NewVBox(container.NewGridWithColumns(3, keys...), sized(k.ok, 3*keypadW, keypadH))
	return k
}

// setKeys enables or disables the keys but OK (whose state follows what
// is typed): a code that cannot be sent is not typed either.
func (k *keypad) setKeys(on bool) {
	for _, b := range k.keys {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}
