package main

import (
	"bytes"
	"context"
	"image"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/camera"
)

// The probe refuses what it cannot measure, in one line, before any
// window opens.
func TestProbeFlags(t *testing.T) {
	for _, args := range [][]string{
		{"probe", "--screen", "review"},
		{"probe", "--camera", "v4l2"},
		{"probe", "--fps", "0"},
		{"probe", "--sessions", "-1"},
		{"probe", "--screen", "camera", "--sessions", "3"},
		{"probe", "--bogus"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr.String())
		}
		if msg := strings.TrimSpace(stderr.String()); msg == "" || (args[1] != "--bogus" && strings.Contains(msg, "\n")) {
			t.Errorf("%v: message %q, want one line", args, msg)
		}
	}
}

// camera.source = "simulated-v4l2" opens the simulated webcam through the
// V4L2 path: 1280×720 MJPEG frames, a ticket held up to it readable.
func TestOpenSimulatedCamera(t *testing.T) {
	cfg, err := config.LoadDemo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Camera.Source, cfg.Camera.FPS = "simulated-v4l2", 30
	src, err := openCamera(cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	img, err := src.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 1280, 720) {
		t.Fatalf("frame %v", img.Bounds())
	}
	if _, ok := src.(camera.Holder); !ok {
		t.Fatal("the simulated webcam cannot have a ticket held up to it")
	}
	if _, ok := src.(camera.Actor); !ok {
		t.Fatal("the simulated webcam's subscriber cannot act the liveness moves")
	}
}
