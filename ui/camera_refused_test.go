package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	qrcode "github.com/skip2/go-qrcode"

	"almatel.kz/signkiosk/app/kiosk/kiosktest"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/camera"
)

// A camera the policy refuses, as the kiosk meets it: its reopening V4L2
// source fails every open with the refusal.

var (
	loopbackID = camera.Identity{Driver: "v4l2 loopback", Card: "OBS Virtual Camera", BusInfo: "platform:v4l2loopback-000"}
	unlistedID = camera.Identity{VendorID: "1bcf", ProductID: "2284", Driver: "uvcvideo", Card: "USB 2.0 Camera", BusInfo: "usb-0000:00:14.0-3"}
)

// refusals are the policy's two refusals by their session codes.
func refusals(t *testing.T) map[string]error {
	t.Helper()
	allow, err := camera.NewPolicy([]string{"046d:0825"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]error{
		session.ErrCameraVirtual:  allow.Check(loopbackID),
		session.ErrCameraUnlisted: allow.Check(unlistedID),
	}
	for code, err := range out {
		if camera.ErrorCode(err) != code {
			t.Fatalf("%s: the policy gave %v", code, err)
		}
	}
	return out
}

func refusingSource(err error) camera.Source {
	return camera.NewReopening(func(context.Context) (camera.Source, error) { return nil, err }, 10*time.Millisecond)
}

// waitShows runs the UI until text is on screen.
func (h *harness) waitShows(text string) {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !h.shows(text) {
		if time.Now().After(deadline) {
			h.t.Fatalf("%q not shown; texts: %q", text, h.texts())
		}
		time.Sleep(5 * time.Millisecond)
		h.q.drain()
	}
}

// checkRefusal: the message is the catalogue's for the code in l's
// language, with which camera was found and, off the list, what is allowed.
func checkRefusal(t *testing.T, h *harness, l loc, code string, err error) {
	t.Helper()
	re := refusal(err)
	h.waitShows(l.cameraRefused(err))
	if !l.has("err."+code) || !h.shows(l.T("err."+code)) {
		t.Errorf("%s: no %s message: %q", l.lang, code, h.texts())
	}
	if !h.shows(re.Camera.String()) {
		t.Errorf("%s: the camera found (%s) is not named: %q", l.lang, re.Camera, h.texts())
	}
	if code == session.ErrCameraUnlisted && !h.shows(`allow = ["046d:0825"]`) {
		t.Errorf("%s: what the config allows is not said: %q", l.lang, h.texts())
	}
}

// TestIdleShowsRefusedCamera: the idle screen, where staff show the
// ticket, says in each language that the camera is refused and why.
func TestIdleShowsRefusedCamera(t *testing.T) {
	for code, err := range refusals(t) {
		t.Run(code, func(t *testing.T) {
			h := newHarness(t, Options{Kiosk: newFakeKiosk(), Camera: shared(t, refusingSource(err)), Log: zerolog.Nop()})
			seen := map[string]string{}
			for _, lang := range languages {
				if h.u.state.Lang != lang {
					h.tap(h.u.loc().T("lang." + lang))
				}
				l := h.u.cat.in(lang)
				checkRefusal(t, h, l, code, err)
				seen[lang] = l.T("err." + code)
			}
			if seen["kk"] == seen["ru"] || seen["ru"] == seen["en"] {
				t.Errorf("not translated: %q", seen)
			}
			if h.shows(h.u.loc().T("idle.camera_error")) {
				t.Error("the generic camera error shows beside the refusal")
			}
		})
	}
}

// TestBiometricsRefusedCamera: a session reaches the camera step (the
// ticket from a picture) with a refused camera, through the real runner.
// The preview says why; an attempt fails with the code, costs nothing, and
// the message is not repeated.
func TestBiometricsRefusedCamera(t *testing.T) {
	for code, err := range refusals(t) {
		t.Run(code, func(t *testing.T) {
			hub := camera.NewHub(refusingSource(err))
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { hub.Run(ctx); close(done) }()
			t.Cleanup(func() { cancel(); hub.Close(); <-done })

			rig := kiosktest.New(t, kiosktest.Options{Source: hub.Reader()})
			order := ticket.DemoOrder()
			qrDir := t.TempDir()
			var n atomic.Int64
			demo := &Demo{NewTicketQR: func() (string, error) {
				text, err := ticket.Encode(ticket.NewPayload(order, kiosktest.Office, "S-1", time.Now(), time.Hour), rig.TicketKey)
				if err != nil {
					return "", err
				}
				path := filepath.Join(qrDir, fmt.Sprintf("ticket-%d.png", n.Add(1)))
				return path, qrcode.WriteFile(text, qrcode.Medium, 1024, path)
			}}
			f := &failRig{harness: newHarness(t, Options{Kiosk: rig.Runner, Demo: demo, Camera: hub, Log: rig.Logger}), rig: rig, order: order}
			f.toWelcome()
			f.toBiometrics()
			l := f.u.loc()
			checkRefusal(t, f.harness, l, code, err)
			left := f.u.state.BioAttemptsLeft

			f.tap(l.T("bio.start"))
			f.waitFor("capture refused", func(s session.State) bool { return s.Err == code && s.Busy == session.OpNone })
			if s := f.u.state; s.Step != session.StepBiometrics || s.BioAttemptsLeft != left {
				t.Fatalf("step %s attempts %d (was %d)", s.Step, s.BioAttemptsLeft, left)
			}
			if n := strings.Count(f.screenText(), flat(l.Err(code))); n != 1 {
				t.Errorf("the message shows %d times: %q", n, f.texts())
			}
			if f.shows(l.T("bio.camera_lost")) {
				t.Error("a refused camera is called lost")
			}
		})
	}
}

// TestStaffCameraTestRefused: the staff menu's camera test names the
// refused camera and the policy too.
func TestStaffCameraTestRefused(t *testing.T) {
	err := refusals(t)[session.ErrCameraUnlisted]
	r := newStaffRig(t, "ru")
	r.staff.camera = &CameraReport{Err: err, Code: camera.ErrorCode(err)}
	r.unlock()
	r.tap(r.l.T("staff.camera"))
	r.idle()
	if want := r.l.cameraRefused(err); !r.shows(want) || !r.shows(unlistedID.String()) {
		t.Errorf("camera test result %q not shown: %q", want, r.texts())
	}
	if !errors.Is(err, camera.ErrCameraNotAllowed) {
		t.Fatal(err)
	}
}
