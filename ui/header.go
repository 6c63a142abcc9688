package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/session"
)

// header is the strip above every screen but idle: where the subscriber is
// ("step 3 of 8"), the language buttons, and Cancel.
type header struct {
	obj    fyne.CanvasObject
	cancel *widget.Button
	sep    *widget.Separator
}

func newHeader(u *UI, s session.State, l loc) *header {
	h := &header{}
	step := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	if n := s.Step.Number(); n > 0 {
		step.SetText(l.T("header.step", "N", n, "Total", session.StepsTotal))
	}
	right := container.NewHBox(langButtons(u, s.Lang, l)...)
	h.cancel = button(l.T("cancel.button"), false, u.askCancel)
	h.sep = widget.NewSeparator()
	right.Add(h.sep)
	right.Add(h.cancel)
	// The staff gesture's corner lies over the step label, unseen.
	h.obj = container.NewVBox(container.NewBorder(nil, nil, container.NewStack(step, newStaffCorner(u)), right), widget.NewSeparator())
	return h
}

func (h *header) update(s session.State) {
	if cancellable(s) {
		h.cancel.Show()
		h.sep.Show()
	} else {
		h.cancel.Hide()
		h.sep.Hide()
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
