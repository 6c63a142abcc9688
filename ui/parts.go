package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Small building blocks the screens share.

// atLeast is a layout that gives its objects the whole space and asks for
// at least min: it turns a Fyne button into a kiosk-sized touch target.
type atLeast struct{ min fyne.Size }

func (a atLeast) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (a atLeast) MinSize(objs []fyne.CanvasObject) fyne.Size {
	m := a.min
	for _, o := range objs {
		m = m.Max(o.MinSize())
	}
	return m
}

// sized wraps o so it is at least w×h.
func sized(o fyne.CanvasObject, w, h float32) fyne.CanvasObject {
	return container.New(atLeast{fyne.NewSize(w, h)}, o)
}

// button makes a touch button; primary ones are filled with the accent.
func button(text string, primary bool, tapped func()) *widget.Button {
	b := widget.NewButton(text, tapped)
	if primary {
		b.Importance = widget.HighImportance
	}
	return b
}

// title is a screen's heading, wrapped.
func title(text string) *widget.RichText {
	rt := widget.NewRichText(&widget.TextSegment{
		Text:  text,
		Style: widget.RichTextStyle{SizeName: theme.SizeNameHeadingText, TextStyle: fyne.TextStyle{Bold: true}},
	})
	rt.Wrapping = fyne.TextWrapWord
	return rt
}

// subtitle is a section heading.
func subtitle(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	l.Wrapping = fyne.TextWrapWord
	return l
}

// para is body text that wraps.
func para(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// errorLabel shows a translated error in the error colour; empty hides it.
func errorLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.TextStyle.Bold = true
	l.Hide()
	return l
}

// noticeLabel shows good news (a code sent) in the success colour; empty
// hides it.
func noticeLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.SuccessImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// setText updates a label and shows it only when there is something to say.
func setText(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// bigText is a large canvas text (code digits, the challenge).
func bigText(text string, size float32) *canvas.Text {
	t := canvas.NewText(text, theme.Color(theme.ColorNameForeground))
	t.TextSize = size
	t.TextStyle.Bold = true
	t.Alignment = fyne.TextAlignCenter
	return t
}
