package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/camera"
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

// The cameras of a kiosk PC with OBS installed and a stray webcam, as
// camera.ListV4L2 reports them (ids from sysfs; the reading itself is
// tested in package camera against a temp sysfs tree).
var testCameras = []camera.DeviceInfo{
	{Path: "/dev/video0", Card: "HD Webcam C525", Driver: "uvcvideo", BusInfo: "usb-0000:00:14.0-2", VendorID: "046d", ProductID: "0825",
		Formats: []camera.FormatInfo{{FourCC: camera.FourCCMJPEG, Description: "Motion-JPEG", Sizes: []camera.Size{{W: 1280, H: 720, FPS: []float64{30}}}}}},
	{Path: "/dev/video2", Card: "OBS Virtual Camera", Driver: "v4l2 loopback", BusInfo: "platform:v4l2loopback-000",
		Formats: []camera.FormatInfo{{FourCC: camera.FourCCYUYV, Description: "YUYV 4:2:2", Sizes: []camera.Size{{W: 1280, H: 720}}}}},
	{Path: "/dev/video4", Card: "USB 2.0 Camera", Driver: "uvcvideo", BusInfo: "usb-0000:00:14.0-3", VendorID: "1bcf", ProductID: "2284"},
}

func TestCameraListVerdicts(t *testing.T) {
	list := func(devs ...camera.DeviceInfo) func() ([]camera.DeviceInfo, error) {
		return func() ([]camera.DeviceInfo, error) { return devs, nil }
	}
	allow, err := camera.NewPolicy([]string{"046d:0825"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := listCameras(&out, &errb, list(testCameras...), allow); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	want := `/dev/video0  card="HD Webcam C525"  driver="uvcvideo"  bus=usb-0000:00:14.0-2  usb=046d:0825
  MJPG  "Motion-JPEG"            1280x720@30
  kiosk: takes it
/dev/video2  card="OBS Virtual Camera"  driver="v4l2 loopback"  bus=platform:v4l2loopback-000  usb=none
  YUYV  "YUYV 4:2:2"             1280x720
  kiosk: refuses it: a virtual camera (always refused)
/dev/video4  card="USB 2.0 Camera"  driver="uvcvideo"  bus=usb-0000:00:14.0-3  usb=1bcf:2284
  (formats unreadable: the device may be busy)
  kiosk: refuses it: not allowed by allow = ["046d:0825"]
allowed by the config: allow = ["046d:0825"]
`
	if out.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out.String(), want)
	}

	// Without a list only the virtual camera is refused.
	out.Reset()
	if code := listCameras(&out, &errb, list(testCameras...), camera.Policy{}); code != 0 ||
		strings.Count(out.String(), "kiosk: takes it") != 2 || !strings.Contains(out.String(), "allowed by the config: any camera but a virtual one\n") {
		t.Fatalf("exit %d:\n%s", code, out.String())
	}

	// Nothing the kiosk would take: exit 1, and stderr says so.
	out.Reset()
	errb.Reset()
	if code := listCameras(&out, &errb, list(testCameras[1:]...), allow); code != 1 || errb.String() != "no camera the kiosk would take (2 refused)\n" {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

func TestCameraListConfig(t *testing.T) {
	example, err := os.ReadFile("docs/signkiosk.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	withAllow := strings.Replace(string(example), "allow = []", `allow = ["046d:0825"]`, 1)
	if withAllow == string(example) {
		t.Fatal("the example has no camera allow key")
	}
	good, bad := write("good.toml", withAllow), write("bad.toml", strings.Replace(withAllow, "046d:0825", "046d", 1))
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"camera", "list", "--config", bad}, 2, "camera.allow"},
		{[]string{"camera", "list", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"camera", "list", "--config", good}, 1, "no camera found"}, // this machine has no /dev/video*
	} {
		if c.code == 1 {
			if nodes, _ := filepath.Glob("/dev/video*"); len(nodes) > 0 {
				continue
			}
		}
		var out, errb bytes.Buffer
		if code := run(context.Background(), c.args, &out, &errb); code != c.code || !strings.Contains(errb.String(), c.msg) {
			t.Errorf("%v: exit %d, stderr %q", c.args, code, errb.String())
		}
	}
}

func TestLogCameraFault(t *testing.T) {
	allow, err := camera.NewPolicy([]string{"046d:0825"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := testCameras[2]
	var buf bytes.Buffer
	logCameraFault(zerolog.New(&buf), allow.Check(id.Identity()), allow)
	line := buf.String()
	for _, want := range []string{`"event":"camera_refused"`, `"code":"camera_not_allowed"`, `1bcf:2284`, `"allowed":"allow = [\"046d:0825\"]"`} {
		if !strings.Contains(line, want) {
			t.Errorf("log lacks %s: %s", want, line)
		}
	}
	buf.Reset()
	logCameraFault(zerolog.New(&buf), camera.ErrNoCamera, allow)
	if !strings.Contains(buf.String(), `"event":"camera_unavailable"`) {
		t.Errorf("no camera: %s", buf.String())
	}
}
