package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/session"
)

// header is the strip above every screen but idle: where the subscriber is
// ("step 3 of 7"), the text size, the language buttons, and Cancel.
type header struct {
	obj    fyne.CanvasObject
	cancel *widget.Button
}

func newHeader(u *UI, s session.State, l loc) *header {
	h := &header{}
	step := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	if n := s.Step.Number(); n > 0 {
		step.SetText(l.T("header.step", "N", n, "Total", session.StepsTotal))
	}
	size := button(textSizeLabel[u.textStep], u.textStep > 0, u.biggerText)
	right := container.NewHBox(sized(size, textSizeW, 0), widget.NewSeparator())
	right.Objects = append(right.Objects, langButtons(u, s.Lang, l)...)
	h.cancel = button(l.T("cancel.button"), false, u.askCancel)
	right.Add(widget.NewSeparator())
	// Cancel keeps its place at one width in every language, shown or not:
	// the language buttons beside it never move under a finger.
	right.Add(sized(h.cancel, cancelW, 0))
	// The staff gesture's corner lies over the step label, unseen
	// (cornerLayer, over the whole window's top-left).
	h.obj = container.NewVBox(container.NewBorder(nil, nil, step, right), widget.NewSeparator())
	return h
}

// The text-size button: "Aa" with a plus per step taken, one width for
// all so the header never shifts.
var textSizeLabel = [len(textScales)]string{"Aa", "Aa+", "Aa++"}

const textSizeW = 120

// cancelW holds the widest Cancel (kk "Бас тарту", ru "Отменить").
const cancelW = 170

func (h *header) update(s session.State) {
	if cancellable(s) {
		h.cancel.Show()
	} else {
		h.cancel.Hide()
	}
}

// langButtons are kk / ru / en, the current one highlighted. Each label is
// in its own language so anyone can find theirs.
func langButtons(u *UI, current string, l loc) []fyne.CanvasObject {
	out := make([]fyne.CanvasObject, 0, len(languages))
	for _, code := range languages {
		out = append(out, button(l.T("lang."+code), code == current, func() {
			u.k.Dispatch(session.SetLang{Lang: code})
		}))
	}
	return out
}
