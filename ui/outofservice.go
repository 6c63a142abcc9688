package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// OutOfService fills win with a screen that says, in every language at once
// (nobody is there to pick one), that the kiosk cannot take sessions and why.
// reason is a translation key naming what keeps the kiosk out of service:
// "oos.database" (damaged), "oos.readonly", "oos.disk_full" or
// "oos.missing", each with what staff must do. It starts nothing.
func OutOfService(win fyne.Window, reason string) error {
	cat, err := loadCatalog()
	if err != nil {
		return err
	}
	fyne.CurrentApp().Settings().SetTheme(NewTheme())
	items := []fyne.CanvasObject{layout.NewSpacer()}
	for _, lang := range languages {
		l := cat.in(lang)
		items = append(items, title(l.T("oos.title")), para(l.T(reason)), widget.NewSeparator())
	}
	items = append(items, layout.NewSpacer())
	win.SetContent(container.NewPadded(container.NewVBox(items...)))
	return nil
}
