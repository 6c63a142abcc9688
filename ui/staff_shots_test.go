package ui

import "testing"

// The screenshot tool's hooks work the staff menu as the gesture and taps
// do, and the check-then-camera order it uses leaves both results on screen.
func TestStaffScreenshotHooks(t *testing.T) {
	r := newStaffRig(t, "kk")
	l := r.l
	if s := r.u.StaffForScreens(); s.Shown || s.Lang != "kk" {
		t.Fatalf("before opening: %+v", s)
	}
	r.u.OpenStaffForScreens()
	if s := r.u.StaffForScreens(); !s.Shown || s.Unlocked || !r.shows(l.T("staff.pin_prompt")) {
		t.Fatalf("PIN pad not shown: %+v, %q", s, r.texts())
	}
	r.u.StaffPINForScreens(staffTestPIN, false)
	if !r.shows("●●●●●●") {
		t.Fatalf("typed PIN not shown as dots: %q", r.texts())
	}
	r.u.StaffPINForScreens("", true)
	r.waitMenu(func() bool {
		s := r.u.StaffForScreens()
		return s.Unlocked && !s.Checking && s.Busy == "" && s.Status
	})
	if !r.shows(l.T("staff.outbox", "Pending", 3, "Delivered", 17, "Dead", 2)) {
		t.Fatalf("menu without counts: %q", r.texts())
	}

	r.u.StaffActionForScreens("check")
	r.waitMenu(func() bool { s := r.u.StaffForScreens(); return s.Busy == "" && s.Conns == 2 })
	r.u.StaffActionForScreens("camera")
	r.waitMenu(func() bool { s := r.u.StaffForScreens(); return s.Busy == "" && s.Result != "" })
	for _, want := range []string{
		l.T("staff.camera_ok", "FPS", "29.7", "W", 1280, "H", 720, "N", 89),
		connLine(l, Connectivity{Name: "head_office", Detail: "connection refused"}),
	} {
		if !r.shows(want) {
			t.Errorf("checks screen lacks %q: %q", want, r.texts())
		}
	}

	r.u.StaffActionForScreens("close")
	if r.u.StaffForScreens().Shown {
		t.Fatal("close left the menu up")
	}
}
