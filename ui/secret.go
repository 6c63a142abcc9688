package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// secretField shows one password entry, masked unless revealed. It takes no
// keyboard focus: text comes only from the on-screen keyboard. Tapping it
// makes it the field the keyboard types into.
type secretField struct {
	widget.BaseWidget
	caption *canvas.Text
	text    *widget.Label
	frame   *canvas.Rectangle
	onTap   func()
}

func newSecretField(caption string, onTap func()) *secretField {
	f := &secretField{
		caption: canvas.NewText(caption, theme.Color(theme.ColorNameForeground)),
		text:    widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true}),
		frame:   canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)),
		onTap:   onTap,
	}
	f.caption.TextSize = theme.Size(theme.SizeNameCaptionText)
	f.frame.StrokeWidth = 2
	f.frame.CornerRadius = 6
	f.ExtendBaseWidget(f)
	return f
}

// set shows value (masked unless reveal) and whether the field is active.
func (f *secretField) set(value []rune, reveal, active bool) {
	if reveal {
		f.text.SetText(string(value))
	} else {
		f.text.SetText(strings.Repeat("•", len(value)))
	}
	f.frame.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	f.frame.StrokeWidth = 2
	if active {
		f.frame.StrokeColor = theme.Color(theme.ColorNamePrimary)
		f.frame.StrokeWidth = 4
	}
	f.frame.Refresh()
}

// Tapped selects the field.
func (f *secretField) Tapped(*fyne.PointEvent) {
	if f.onTap != nil {
		f.onTap()
	}
}

// CreateRenderer implements fyne.Widget.
func (f *secretField) CreateRenderer() fyne.WidgetRenderer {
	box := container.NewStack(f.frame, container.NewPadded(sized(f.text, 320, 0)))
	return widget.NewSimpleRenderer(container.NewVBox(f.caption, box))
}
