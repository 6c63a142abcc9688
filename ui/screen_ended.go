package ui

import (
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/session"
)

// newEndedScreen says why the session stopped early and that its data is
// gone; OK (or the hold timer) returns to idle.
func newEndedScreen(u *UI, s session.State, l loc) screen {
	box := container.NewVBox(layout.NewSpacer(), title(l.T("ended.title")), subtitle(l.Reason(s.Reason)))
	// A refusal's error code says what was refused; for the other reasons
	// the reason says it all (and an error like no_match would say "try
	// again", which is no longer possible).
	if s.Err != "" && s.Reason == session.ReasonProviderRefused {
		e := errorLabel()
		setText(e, l.Err(s.Err))
		box.Add(e)
	}
	ok := button(l.T("ended.ok"), true, func() { u.k.Dispatch(session.Finish{}) })
	box.Add(para(l.T("ended.wiped")))
	// Where a reason has a next step of its own (biometrics failed for
	// good: the national rule sends the subscriber to a public service
	// centre), it replaces the generic "ask the staff".
	if next := "ended.next." + string(s.Reason); l.has(next) {
		box.Add(para(l.T(next)))
	} else {
		box.Add(para(l.T("ended.help")))
	}
	// Staff read the stable code, to know what happened without asking.
	code := para(l.T("ended.code", "Code", string(s.Reason)))
	code.Importance = widget.LowImportance
	box.Add(code)
	box.Add(layout.NewSpacer())
	box.Add(container.NewCenter(sized(ok, 360, 84)))
	box.Add(layout.NewSpacer())
	return static{box}
}
