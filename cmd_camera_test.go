package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestCameraTestSynthetic(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"camera", "test", "--source", "synthetic", "--seconds", "1", "--fps", "20"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	m := regexp.MustCompile(`(?m)^fps: ([0-9.]+) \((\d+) frames in`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no fps line in:\n%s", out.String())
	}
	if fps, _ := strconv.ParseFloat(m[1], 64); fps < 10 || fps > 25 {
		t.Fatalf("fps %v at 20 asked:\n%s", fps, out.String())
	}
	for _, want := range []string{"resolution: 640x480\n", "format: synthetic RGBA\n", "dropped: 0\n"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("missing %q in:\n%s", want, out.String())
		}
	}
}

func TestCameraListNoCamera(t *testing.T) {
	if nodes, _ := os.ReadDir("/dev"); hasVideo(nodes) {
		t.Skip("this machine has /dev/video*")
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"camera", "list"}, &out, &errb); code != 1 {
		t.Fatalf("exit %d", code)
	}
	if got := errb.String(); got != "no camera found (/dev/video* absent)\n" {
		t.Fatalf("stderr %q", got)
	}
}

func hasVideo(entries []os.DirEntry) bool {
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "video") {
			return true
		}
	}
	return false
}

func TestCameraBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"camera"},
		{"camera", "snap"},
		{"camera", "test", "--seconds", "0"},
		{"camera", "test", "--device", "/dev/video0", "--bus", "usb-1"},
		{"camera", "test", "--source", "folder"},
		{"camera", "test", "--source", "webcam"},
		{"camera", "test", "--source", "synthetic", "--bus", "usb-1"},
		{"camera", "test", "--nope"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if args[len(args)-1] != "camera" && strings.Count(strings.TrimSpace(errb.String()), "\n") > 0 && !strings.Contains(errb.String(), "usage") {
			t.Errorf("%v: not one line: %q", args, errb.String())
		}
	}
	// no camera at all: a camera failure, not a usage error
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"camera", "test", "--seconds", "1"}, &out, &errb); code != 1 {
		t.Errorf("v4l2 without a camera: exit %d (%s)", code, errb.String())
	}
}

func TestCameraTestFolder(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"camera", "test", "--source", "folder", "--folder", dir, "--seconds", "1"}, &out, &errb); code != 1 {
		t.Fatalf("empty folder: exit %d", code)
	}
}
