package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/logging/logtest"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/camera"
)

// The demo kiosk end to end: a session signed through the kiosk's parts goes
// into the outbox, is delivered over mTLS to the local head office at once,
// and the done screen's link downloads a package that verifies.
func TestDemoSignDeliverDownload(t *testing.T) {
	cfg, err := config.LoadDemo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k, drv, ctx := runDemoKiosk(t, cfg, time.Minute, true)
	for _, st := range drv.steps(ctx) {
		if err := drv.do(ctx, st); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	rc := k.runner.State().Receipt
	// Delivered right after signing, not at night.
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := k.outbox.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Delivered == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not delivered: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get(rc.DownloadURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %d %s", resp.StatusCode, body)
	}
	// The link gives the card (a PDF with the signed files inside);
	// &format=zip the package, which verifies against the demo's roots.
	if !bytes.HasPrefix(body, []byte("%PDF-1.4")) || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("downloaded card: %q… %s", body[:min(len(body), 16)], resp.Header.Get("Content-Type"))
	}
	resp, err = http.Get(rc.DownloadURL + "&format=zip")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	roots, err := loadRoots(cfg.NCA.Roots)
	if err != nil {
		t.Fatal(err)
	}
	sum, problems := pack.Verify(body, pack.VerifyOptions{Roots: roots})
	if len(problems) > 0 || !sum.Report(problems).Passed() {
		t.Fatalf("downloaded package: %v %s", problems, sum.Report(problems).Reason)
	}
	if card, err := pack.File(body, pack.NameCard); err != nil || !bytes.HasPrefix(card, []byte("%PDF")) {
		t.Fatalf("card in the package: %v", err)
	}
	// The evidence names the camera: here the demo's synthetic subscriber.
	evJSON, err := pack.File(body, pack.NameEvidence)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Camera kiosk.CameraIdentity `json:"camera"`
	}
	if err := json.Unmarshal(evJSON, &ev); err != nil || ev.Camera != kiosk.CameraIdentity(camera.SyntheticIdentity) {
		t.Fatalf("evidence camera %+v: %v", ev.Camera, err)
	}
	// A tampered link is refused.
	resp, err = http.Get(rc.DownloadURL + "0")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("a tampered link downloaded the package")
	}
	checkLogFields(t, filepath.Join(cfg.DataDir, "logs", "signkiosk.log"))
}

// checkLogFields reads a kiosk's log file: every line a JSON object with
// each key once, and durations named with their unit.
func checkLogFields(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	for _, line := range lines {
		twice, err := logtest.RepeatedKeys(line)
		if err != nil {
			t.Fatal(err)
		}
		if len(twice) > 0 {
			t.Errorf("log line carries %v twice: %s", twice, line)
		}
		if bytes.Contains(line, []byte(`"since_start":`)) {
			t.Errorf("a duration without its unit: %s", line)
		}
	}
	if len(lines) < 10 {
		t.Fatalf("only %d log lines from a whole session", len(lines))
	}
}

// A kiosk configured for a webcam that is not there starts anyway: the
// camera readers say "no camera", and a biometric attempt fails with the
// camera_none code (translated, no attempt spent) instead of a hang.
func TestKioskStartsWithoutWebcam(t *testing.T) {
	if devs, _ := filepath.Glob("/dev/video*"); len(devs) > 0 {
		t.Skip("this machine has a camera")
	}
	cfg, err := config.LoadDemo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Camera.Source = "v4l2"
	k, err := assemble(cfg, io.Discard, io.Discard, portWraps{})
	if err != nil {
		t.Fatalf("kiosk refused to start without its webcam: %v", err)
	}
	defer k.close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := k.camera.Reader().Read(ctx); !errors.Is(err, camera.ErrNoCamera) {
		t.Fatalf("camera read: %v, want ErrNoCamera", err)
	}
	capt := camera.Capturer{Source: k.camera.Reader(), FaceWait: 3 * time.Second}
	_, err = capt.Capture(ctx, []string{"turn_left"})
	var coded kiosk.CaptureCoder
	if !errors.As(err, &coded) || coded.CaptureCode() != session.ErrNoCamera {
		t.Fatalf("capture: %v, want code %s", err, session.ErrNoCamera)
	}
}

// The demo opens full screen like a kiosk; --windowed gives a window for
// development.
func TestKioskWindowFlag(t *testing.T) {
	t.Setenv(config.EnvDataDir, t.TempDir())
	t.Setenv(config.EnvConfig, "")
	var stderr bytes.Buffer
	cfg, ok := loadKioskConfig(nil, &stderr)
	if !ok || !cfg.Demo || !cfg.UI.Fullscreen {
		t.Fatalf("demo: ok=%v demo=%v fullscreen=%v %s", ok, cfg.Demo, cfg.UI.Fullscreen, stderr.String())
	}
	cfg, ok = loadKioskConfig([]string{"--windowed"}, &stderr)
	if !ok || cfg.UI.Fullscreen {
		t.Fatalf("--windowed: ok=%v fullscreen=%v %s", ok, cfg.UI.Fullscreen, stderr.String())
	}
	if _, ok := loadKioskConfig([]string{"--fullscreen-please"}, &stderr); ok {
		t.Fatal("an unknown flag was taken")
	}
}
