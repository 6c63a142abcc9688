package ui

// Hooks for the screenshot tool (`signkiosk screens`) only: they let it open
// and work the hidden staff menu through the same paths the gesture and the
// taps use, so its pictures show the real thing. Nothing in the kiosk calls
// them. Every one must be called on the Fyne thread (fyne.DoAndWait).

// StaffShot is what the screenshot tool waits on before photographing the
// staff layer.
type StaffShot struct {
	Shown    bool   // the PIN pad or the menu is up
	Unlocked bool   // the PIN was accepted: the menu, not the pad
	Checking bool   // the PIN is being checked
	Busy     string // the menu action running ("" when none)
	Status   bool   // the outbox counts are shown
	Result   string // the last action's outcome as shown
	Conns    int    // connectivity lines shown
	Lang     string // the language on screen
}

// OpenStaffForScreens opens the staff PIN pad exactly as the 3 s press on
// the top-left corner does. For the screenshot tool only; on the Fyne thread.
func (u *UI) OpenStaffForScreens() { u.openStaff() }

// StaffPINForScreens types pin on the pad's keys, as taps on them do, and
// presses its OK key when submit is set. For the screenshot tool only; on
// the Fyne thread.
func (u *UI) StaffPINForScreens(pin string, submit bool) {
	m := u.staff
	if !m.shown() {
		return
	}
	for _, r := range pin {
		m.digit(r)
	}
	if submit {
		m.submit()
	}
}

// StaffActionForScreens presses one of the menu's buttons: "camera" (camera
// test), "check" (connectivity) or "close". For the screenshot tool only; on
// the Fyne thread.
func (u *UI) StaffActionForScreens(action string) {
	m := u.staff
	if !m.shown() {
		return
	}
	switch action {
	case "camera":
		m.cameraTest()
	case "check":
		m.check()
	case "close":
		m.close()
	}
}

// StaffForScreens reports the staff layer's state. For the screenshot tool
// only; on the Fyne thread.
func (u *UI) StaffForScreens() StaffShot {
	m := u.staff
	s := StaffShot{Lang: u.state.Lang}
	if !m.shown() {
		return s
	}
	s.Shown, s.Unlocked, s.Checking, s.Busy = true, m.unlocked, m.checking, m.busy
	s.Status, s.Conns = m.status != nil, len(m.conns)
	for _, action := range resultOrder {
		if r := m.results[action]; r != "" {
			s.Result = r // the last in the list, as the screen shows it
		}
	}
	return s
}
