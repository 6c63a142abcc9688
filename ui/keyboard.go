package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/provider"
)

// keyboard is the on-screen keyboard for the EDS password: Latin letters
// (with a case toggle), digits and the special characters. The password can
// only come from here: desktop Fyne has no virtual keyboard and the kiosk no
// physical one.
type keyboard struct {
	obj     fyne.CanvasObject
	letters []*widget.Button
	shift   *widget.Button
	upper   bool
	touch   func()
}

// passwordExtras are more special characters than the rule's examples
// (provider.IsSpecial counts every one).
const passwordExtras = "-_.+="

// Key size: 72×64 px, above the 48 px touch minimum; the controls row holds
// the screen's primary action (Create), which needs 64 px (and every button
// is that tall anyway: see the theme's inline icon size). The thirteen
// special characters share one row at 52 px a key, as wide as the digits'
// row: one row less keeps the screen within 768 px.
const keyW, keyH, specialW = 72, 64, 52

// newKeyboard calls typeRune for each key; touch runs on the case toggle,
// which types nothing but is still someone at the kiosk. enter (the
// screen's action button) goes at the end of the last row.
func newKeyboard(l loc, typeRune func(rune), back, clearAll, touch func(), enter *widget.Button) *keyboard {
	kb := &keyboard{touch: touch}
	row := func(keys string, letter bool) fyne.CanvasObject {
		w := float32(keyW)
		if !letter && strings.ContainsAny(keys, passwordExtras) {
			w = specialW
		}
		objs := make([]fyne.CanvasObject, 0, len(keys))
		for _, r := range keys {
			b := widget.NewButton(string(r), nil)
			b.OnTapped = func() { typeRune(kb.cased(r)) }
			if letter {
				kb.letters = append(kb.letters, b)
			}
			objs = append(objs, sized(b, w, keyH))
		}
		return container.NewCenter(container.NewHBox(objs...))
	}
	kb.shift = widget.NewButton("ABC", kb.toggle)
	controls := container.NewHBox(
		sized(kb.shift, 2*keyW, keyH),
		sized(widget.NewButton(l.T("keypad.clear"), clearAll), 2*keyW, keyH),
		sized(widget.NewButtonWithIcon("", theme.NavigateBackIcon(), back), 2*keyW, keyH),
		sized(enter, 4*keyW, keyH),
	)
	kb.obj = container.NewVBox(
		row("1234567890", false),
		row("qwertyuiop", true),
		row("asdfghjkl", true),
		row("zxcvbnm", true),
		row(provider.PasswordSpecials+passwordExtras, false),
		controls,
	)
	return kb
}

// cased is r in the current case.
func (kb *keyboard) cased(r rune) rune {
	if kb.upper && r >= 'a' && r <= 'z' {
		return r - 'a' + 'A'
	}
	return r
}

// toggle switches letter keys between lower and upper case (a lock, not a
// one-shot shift: easier for someone unused to touch keyboards).
func (kb *keyboard) toggle() {
	kb.touch()
	kb.upper = !kb.upper
	for _, b := range kb.letters {
		if kb.upper {
			b.SetText(strings.ToUpper(b.Text))
		} else {
			b.SetText(strings.ToLower(b.Text))
		}
	}
	if kb.upper {
		kb.shift.SetText("abc")
		kb.shift.Importance = widget.HighImportance
	} else {
		kb.shift.SetText("ABC")
		kb.shift.Importance = widget.MediumImportance
	}
	kb.shift.Refresh()
}
