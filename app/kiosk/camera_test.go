package kiosk_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/kiosk/kiosktest"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/camera"
)

// webcam is the synthetic subscriber seen through a USB webcam: its frames,
// a UVC camera's identity.
type webcam struct{ *camera.Synthetic }

var c525 = camera.Identity{VendorID: "046d", ProductID: "0825", Driver: "uvcvideo", Card: "HD Webcam C525", BusInfo: "usb-0000:00:14.0-2"}

func (webcam) Identity() camera.Identity { return c525 }

func rigWith(t *testing.T, o kiosktest.Options) *rig {
	t.Helper()
	g := kiosktest.New(t, o)
	return &rig{Rig: g, t: t, runner: g.Runner, sim: g.Sim, log: g.Log, signed: g.SignedDir}
}

// evidenceOf reads evidence.json out of a stored package.
func evidenceOf(t *testing.T, zipBytes []byte) map[string]json.RawMessage {
	t.Helper()
	b, err := pack.File(zipBytes, pack.NameEvidence)
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]json.RawMessage
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestEvidenceRecordsCamera: a whole session through the rig; the signed
// package's evidence names the camera the frames came from (evidence.json
// is under the manifest signature; TestFullSessionOverHTTP verifies such
// packages).
func TestEvidenceRecordsCamera(t *testing.T) {
	g := rigWith(t, kiosktest.Options{Source: webcam{camera.NewSynthetic(160, 120, 60)}})
	g.toCode(ticket.DemoOrder())
	g.toBiometrics()
	g.toPassword()
	const pw = "Qazaq#2026"
	g.runner.Dispatch(session.PasswordEntered{Password: pw, Confirm: pw})
	s := g.waitStep(session.StepDone)
	zipBytes, err := os.ReadFile(filepath.Join(g.signed, s.Receipt.PackageID+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(evidenceOf(t, zipBytes)["camera"], &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"vendor_id": "046d", "product_id": "0825", "driver": "uvcvideo",
		"card": "HD Webcam C525", "bus_info": "usb-0000:00:14.0-2"}
	if len(got) != len(want) {
		t.Fatalf("camera %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("camera.%s = %q, want %q", k, got[k], v)
		}
	}
}

// TestEvidenceCameraOfDemoSource: the synthetic subscriber says what it is.
func TestEvidenceCameraOfDemoSource(t *testing.T) {
	g := rigWith(t, kiosktest.Options{})
	g.toCode(ticket.DemoOrder())
	g.toBiometrics()
	g.toPassword()
	const pw = "Qazaq#2026"
	g.runner.Dispatch(session.PasswordEntered{Password: pw, Confirm: pw})
	s := g.waitStep(session.StepDone)
	zipBytes, err := os.ReadFile(filepath.Join(g.signed, s.Receipt.PackageID+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	var got kiosk.CameraIdentity
	if err := json.Unmarshal(evidenceOf(t, zipBytes)["camera"], &got); err != nil {
		t.Fatal(err)
	}
	if got != (kiosk.CameraIdentity{Driver: "synthetic", Card: camera.SyntheticIdentity.Card}) {
		t.Fatalf("camera %+v", got)
	}
}

// TestRefusedCameraCodes: a camera the policy refuses, behind the kiosk's
// reopening source, fails the capture with its own code; the attempt costs
// nothing and the step stays.
func TestRefusedCameraCodes(t *testing.T) {
	allow, err := camera.NewPolicy([]string{"046d:0825"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for code, refusal := range map[string]error{
		session.ErrCameraVirtual: camera.Policy{}.Check(camera.Identity{Driver: "v4l2 loopback",
			Card: "OBS Virtual Camera", BusInfo: "platform:v4l2loopback-000"}),
		session.ErrCameraUnlisted: allow.Check(camera.Identity{VendorID: "1bcf", ProductID: "2284",
			Driver: "uvcvideo", Card: "USB 2.0 Camera", BusInfo: "usb-1"}),
	} {
		t.Run(code, func(t *testing.T) {
			if refusal == nil {
				t.Fatal("the policy took the camera")
			}
			src := camera.NewReopening(func(context.Context) (camera.Source, error) { return nil, refusal }, time.Millisecond)
			g := rigWith(t, kiosktest.Options{Source: src})
			g.toCode(ticket.DemoOrder())
			g.toBiometrics()
			before := g.runner.State().BioAttemptsLeft
			g.runner.Dispatch(session.CaptureStart{})
			s := g.wait("capture refused", func(s session.State) bool { return s.Err != "" && s.Busy == session.OpNone })
			if s.Err != code || s.Step != session.StepBiometrics || s.BioAttemptsLeft != before {
				t.Fatalf("err %q step %s attempts %d (was %d)", s.Err, s.Step, s.BioAttemptsLeft, before)
			}
			if !errors.Is(refusal, camera.ErrVirtualCamera) && !errors.Is(refusal, camera.ErrCameraNotAllowed) {
				t.Fatalf("refusal %v", refusal)
			}
		})
	}
}
