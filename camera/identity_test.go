//go:build linux

package camera

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// sysTree is a temp sysfs laid out as the kernel lays out a UVC camera:
// class/video4linux/videoN links to the node under the USB interface,
// whose "device" link is the interface and whose parent is the USB device
// with idVendor and idProduct. Virtual nodes live under devices/virtual
// with no device link, as v4l2loopback's do.
type sysTree struct {
	t    *testing.T
	root string
}

func newSysTree(t *testing.T) *sysTree { return &sysTree{t: t, root: t.TempDir()} }

func (s *sysTree) write(rel, content string) {
	s.t.Helper()
	p := filepath.Join(s.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func (s *sysTree) link(rel, target string) {
	s.t.Helper()
	p := filepath.Join(s.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	os.Remove(p) // a node re-plugged as another camera
	if err := os.Symlink(target, p); err != nil {
		s.t.Fatal(err)
	}
}

// usb plugs node (video0) in as a UVC camera at USB port (1-2) with the
// idVendor and idProduct files holding vendor and product as written.
func (s *sysTree) usb(node, port, vendor, product string) {
	dev := "devices/pci0000:00/0000:00:14.0/usb1/" + port
	iface := dev + "/" + port + ":1.0"
	s.write(dev+"/idVendor", vendor)
	s.write(dev+"/idProduct", product)
	s.write(iface+"/bInterfaceClass", "0e\n")
	s.write(iface+"/video4linux/"+node+"/name", "cam\n")
	s.link(iface+"/video4linux/"+node+"/device", "../../../"+port+":1.0")
	s.link("class/video4linux/"+node, "../../"+iface+"/video4linux/"+node)
}

// virtual adds node as a virtual device: no USB device behind it.
func (s *sysTree) virtual(node string) {
	s.write("devices/virtual/video4linux/"+node+"/name", "Dummy video device (0x0000)\n")
	s.link("class/video4linux/"+node, "../../devices/virtual/video4linux/"+node)
}

func TestSysfsUSBIDs(t *testing.T) {
	s := newSysTree(t)
	s.usb("video0", "1-2", "046d\n", "0825\n")
	s.usb("video2", "1-3", "1BCF\n", "2284") // upper case, no newline
	s.virtual("video4")
	s.usb("video6", "1-4", "zz\n", "0825\n")       // not hex
	s.usb("video8", "1-5", "046d\n", "08250825\n") // too long
	// A node whose device link is the USB device itself.
	s.write("devices/platform/usb9/9-1/idVendor", "0bda\n")
	s.write("devices/platform/usb9/9-1/idProduct", "58b0\n")
	s.link("class/video4linux/video10/device", "../../../devices/platform/usb9/9-1")
	// A device link to something that is neither: its parent (a hub with
	// ids of its own) must not be taken for the camera.
	s.write("devices/platform/usb7/idVendor", "1d6b\n")
	s.write("devices/platform/usb7/idProduct", "0002\n")
	s.write("devices/platform/usb7/7-0/uevent", "")
	s.link("class/video4linux/video12/device", "../../../devices/platform/usb7/7-0")

	for path, want := range map[string][2]string{
		"/dev/video0": {"046d", "0825"}, "/dev/video2": {"1bcf", "2284"}, "/dev/video4": {}, "/dev/video6": {},
		"/dev/video8": {}, "/dev/video10": {"0bda", "58b0"}, "/dev/video12": {}, "/dev/video99": {}, "/dev/null": {},
	} {
		v, p := sysfsUSBIDs(s.root, path)
		if [2]string{v, p} != want {
			t.Errorf("%s: %q:%q, want %q", path, v, p, want)
		}
	}
	if v, p := sysfsUSBIDs(filepath.Join(s.root, "absent"), "/dev/video0"); v != "" || p != "" {
		t.Errorf("no sysfs: %q:%q", v, p)
	}
}

// uvcCam is a fake UVC camera that streams YUYV.
func uvcCam(bus, card string, mark byte) *fakeCam {
	c := yuyvCam(bus, mark)
	c.card, c.driver = card, "uvcvideo"
	return c
}

func loopbackCam() *fakeCam {
	c := yuyvCam("platform:v4l2loopback-000", 9)
	c.card, c.driver = "Dummy video device (0x0000)", "v4l2 loopback"
	return c
}

// syncBuf is a log sink the source's goroutine may write while the test reads.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestV4L2Identity(t *testing.T) {
	sys := newSysTree(t)
	bus := newFakeBus()
	bus.sysfs = sys.root
	sys.usb("video0", "1-2", "046d\n", "0825\n")
	bus.plug("/dev/video0", uvcCam("usb-0000:00:14.0-2", "UVC Camera (046d:0825)", 40))
	var logs syncBuf
	cfg := testConfig("")
	cfg.Log = zerolog.New(&logs)
	v, err := openV4L2(context.Background(), cfg, bus.sys(), fastTimings)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	want := Identity{VendorID: "046d", ProductID: "0825", Driver: "uvcvideo", Card: "UVC Camera (046d:0825)", BusInfo: "usb-0000:00:14.0-2"}
	if got := v.Identity(); got != want {
		t.Fatalf("identity %+v, want %+v", got, want)
	}
	if got := want.String(); got != `"UVC Camera (046d:0825)" (046d:0825, driver uvcvideo, bus usb-0000:00:14.0-2)` {
		t.Errorf("String %s", got)
	}
	// The camera's identity is logged when it opens (it names no person).
	if l := logs.String(); !strings.Contains(l, `"usb":"046d:0825"`) || !strings.Contains(l, `"driver":"uvcvideo"`) {
		t.Errorf("open not logged with the identity: %s", l)
	}

	// Through the kiosk's chain: Reopening → Hub → reader → Capturer.
	r := NewReopening(func(context.Context) (Source, error) { return v, nil }, time.Millisecond)
	if id := r.Identity(); id != (Identity{}) {
		t.Errorf("not yet opened: %+v", id)
	}
	h := NewHub(r)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	if _, err := h.Reader().Read(ctx); err != nil {
		t.Fatal(err)
	}
	if got := (Capturer{Source: h.Reader()}).Identity(); got != want {
		t.Errorf("through the hub: %+v", got)
	}
	if got := IdentityOf(NewSynthetic(8, 8, 10)); got.Driver != "synthetic" || got.USBID() != "" {
		t.Errorf("synthetic: %+v", got)
	}
	if got := (&Folder{}).Identity(); got.Driver != "folder" {
		t.Errorf("folder: %+v", got)
	}
	if got := IdentityOf(nil); got != (Identity{}) {
		t.Errorf("nil source: %+v", got)
	}
}

func TestV4L2RefusesVirtualCamera(t *testing.T) {
	ctx := context.Background()
	sys := newSysTree(t)
	bus := newFakeBus()
	bus.sysfs = sys.root
	sys.virtual("video0")
	lb := loopbackCam()
	bus.plug("/dev/video0", lb)

	for name, cfg := range map[string]V4L2Config{
		"by bus": testConfig("platform:v4l2loopback-000"), "by path": {Device: "/dev/video0"}, "first": testConfig(""),
	} {
		_, err := openV4L2(ctx, cfg, bus.sys(), fastTimings)
		var re *RefusedError
		if !errors.Is(err, ErrVirtualCamera) || !errors.As(err, &re) || ErrorCode(err) != "camera_virtual" {
			t.Fatalf("%s: %v (code %q)", name, err, ErrorCode(err))
		}
		if re.Camera.Driver != "v4l2 loopback" || re.Camera.USBID() != "" || !strings.Contains(err.Error(), "virtual") {
			t.Fatalf("%s: refusal %+v: %v", name, re.Camera, err)
		}
	}
	// Even on an allow-list naming it (a loopback device has no USB ids;
	// an allow_drivers naming its driver does not help either).
	p, err := NewPolicy(nil, []string{"v4l2 loopback"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openV4L2(ctx, V4L2Config{Policy: p}, bus.sys(), fastTimings); !errors.Is(err, ErrVirtualCamera) {
		t.Fatalf("allow_drivers naming it: %v", err)
	}
	if o, _ := lb.counts(); o != 0 {
		t.Fatalf("the virtual camera was opened %d times", o)
	}

	// A real camera beside it is taken when none is named.
	sys.usb("video2", "1-2", "046d\n", "0825\n")
	bus.plug("/dev/video2", uvcCam("usb-0000:00:14.0-2", "HD Webcam C525", 61))
	v, err := openV4L2(ctx, testConfig(""), bus.sys(), fastTimings)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if readMark(t, v) != 61 || v.Identity().USBID() != "046d:0825" {
		t.Fatalf("took %+v", v.Identity())
	}
}

func TestV4L2AllowList(t *testing.T) {
	ctx := context.Background()
	sys := newSysTree(t)
	bus := newFakeBus()
	bus.sysfs = sys.root
	sys.usb("video0", "1-2", "1bcf\n", "2284\n")
	sys.usb("video2", "1-3", "046d\n", "0825\n")
	other := uvcCam("usb-0000:00:14.0-2", "USB 2.0 Camera", 10)
	ours := uvcCam("usb-0000:00:14.0-3", "HD Webcam C525", 20)
	bus.plug("/dev/video0", other)
	bus.plug("/dev/video2", ours)

	allow, err := NewPolicy([]string{"046D:0825", "046d:085e"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The named camera not on the list: refused, with the list in the error.
	cfg := testConfig("usb-0000:00:14.0-2")
	cfg.Policy = allow
	_, err = openV4L2(ctx, cfg, bus.sys(), fastTimings)
	var re *RefusedError
	if !errors.Is(err, ErrCameraNotAllowed) || !errors.As(err, &re) || ErrorCode(err) != "camera_not_allowed" {
		t.Fatalf("not on the list: %v", err)
	}
	if re.Camera.USBID() != "1bcf:2284" || !strings.Contains(err.Error(), `allow = ["046d:0825", "046d:085e"]`) {
		t.Fatalf("refusal %v", err)
	}
	if o, _ := other.counts(); o != 0 {
		t.Fatal("a refused camera was opened")
	}
	// None named: the first camera the list takes.
	v, err := openV4L2(ctx, V4L2Config{Policy: allow}, bus.sys(), fastTimings)
	if err != nil {
		t.Fatal(err)
	}
	if readMark(t, v) != 20 {
		t.Fatal("not the allowed camera")
	}
	v.Close()

	// By driver: uvcvideo only.
	drv, err := NewPolicy(nil, []string{"uvcvideo"})
	if err != nil {
		t.Fatal(err)
	}
	if err := drv.Check(ours.identity(t, bus, "/dev/video2")); err != nil {
		t.Fatalf("uvcvideo refused: %v", err)
	}
	gspca := Identity{VendorID: "0ac8", ProductID: "301b", Driver: "gspca_zc3xx", Card: "PC Camera", BusInfo: "usb-1"}
	if err := drv.Check(gspca); !errors.Is(err, ErrCameraNotAllowed) || !strings.Contains(err.Error(), `allow_drivers = ["uvcvideo"]`) {
		t.Fatalf("other driver: %v", err)
	}
	// A camera without USB ids is not on any USB allow-list.
	if err := allow.Check(Identity{Driver: "uvcvideo", Card: "Integrated", BusInfo: "pci-1"}); !errors.Is(err, ErrCameraNotAllowed) {
		t.Fatalf("no USB ids: %v", err)
	}
	// Nothing can make a virtual camera allowed.
	if err := (Policy{}).Check(loopbackCam().identity(t, bus, "")); !errors.Is(err, ErrVirtualCamera) {
		t.Fatalf("zero policy, loopback: %v", err)
	}
	if err := (Policy{}).Check(gspca); err != nil {
		t.Fatalf("zero policy refuses a real camera: %v", err)
	}
	for _, bad := range [][2][]string{{{"046d"}, nil}, {{"046d:0825", "webcam"}, nil}, {nil, {" "}}} {
		if _, err := NewPolicy(bad[0], bad[1]); err == nil {
			t.Errorf("NewPolicy(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

// identity is what the fake bus reports of c at path, with sysfs ids.
func (c *fakeCam) identity(t *testing.T, b *fakeBus, path string) Identity {
	t.Helper()
	id := Identity{Driver: c.driver, Card: c.card, BusInfo: c.bus}
	if path != "" {
		id.VendorID, id.ProductID = sysfsUSBIDs(b.sysfs, path)
	}
	return id
}

func TestVirtual(t *testing.T) {
	for _, id := range []Identity{
		{Driver: "v4l2 loopback", Card: "OBS Virtual Camera", BusInfo: "platform:v4l2loopback-000"},
		{Driver: "v4l2 loopback", Card: "My Webcam", BusInfo: "usb-fake"}, // a label chosen to look real
		{Driver: "uvcvideo", BusInfo: "platform:v4l2loopback-003"},        // a driver name chosen to look real
		{Driver: "Droidcam", Card: "Droidcam", BusInfo: "platform:v4l2loopback_dc-000"},
		{Driver: "akvcam", Card: "AkVCam Video Device", BusInfo: "platform:akvcam-0"},
		{Driver: "vivid", Card: "vivid", BusInfo: "platform:vivid-000"},
		{Driver: "vimc", Card: "Sensor A", BusInfo: "platform:vimc"},
		{Driver: "V4L2_Loopback"},
		{Card: "Dummy video device (0x0000)"},
		{Driver: "someloop", Card: "Virtual Camera"},
	} {
		if !Virtual(id) {
			t.Errorf("%+v not virtual", id)
		}
	}
	for _, id := range []Identity{
		{VendorID: "046d", ProductID: "0825", Driver: "uvcvideo", Card: "UVC Camera (046d:0825)", BusInfo: "usb-0000:00:14.0-2"},
		{Driver: "uvcvideo", Card: "Integrated_Webcam_HD: Integrate", BusInfo: "usb-0000:00:14.0-5"},
		{Driver: "gspca_zc3xx", Card: "PC Camera", BusInfo: "usb-0000:00:1d.0-1.2"},
	} {
		if Virtual(id) {
			t.Errorf("%+v taken for virtual", id)
		}
	}
}

func TestV4L2ReopensOnlyTheSameCamera(t *testing.T) {
	sys := newSysTree(t)
	bus := newFakeBus()
	bus.sysfs = sys.root
	const port = "usb-0000:00:14.0-2"
	sys.usb("video0", "1-2", "046d\n", "0825\n")
	ours := uvcCam(port, "HD Webcam C525", 31)
	bus.plug("/dev/video0", ours)
	var logs syncBuf
	cfg := testConfig(port)
	cfg.Log = zerolog.New(&logs)
	v, err := openV4L2(context.Background(), cfg, bus.sys(), fastTimings)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if readMark(t, v) != 31 {
		t.Fatal("first frame")
	}
	first := v.Identity()

	// Unplugged; another model goes into the same port.
	bus.unplug("/dev/video0")
	sys.usb("video1", "1-2", "1bcf\n", "2284\n")
	swapped := uvcCam(port, "USB 2.0 Camera", 32)
	bus.plug("/dev/video1", swapped)
	var last error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !errors.Is(last, ErrDisconnected); {
		_, last = v.Read(context.Background())
	}
	if !errors.Is(last, ErrDisconnected) {
		t.Fatalf("after unplug: %v", last)
	}
	for range 5 { // several reopen periods: still waiting for ours
		if _, err := v.Read(context.Background()); !errors.Is(err, ErrDisconnected) {
			t.Fatalf("while another camera is at the port: %v", err)
		}
	}
	if o, _ := swapped.counts(); o != 0 {
		t.Fatal("the other model at our port was opened")
	}
	if l := logs.String(); strings.Count(l, "a different camera is at the port") != 1 || !strings.Contains(l, "1bcf:2284") {
		t.Errorf("the other camera not logged once: %s", l)
	}
	if v.Identity() != first {
		t.Fatalf("identity changed to %+v", v.Identity())
	}

	// Ours comes back (the same model, the same port).
	bus.unplug("/dev/video1")
	sys.usb("video2", "1-2", "046d\n", "0825\n")
	bus.plug("/dev/video2", ours)
	if readMark(t, v) != 31 {
		t.Fatal("not ours after the reconnect")
	}
	if st := v.Stats(); st.Device != "/dev/video2" || st.Reconnects != 1 || v.Identity() != first {
		t.Fatalf("stats %+v identity %+v", st, v.Identity())
	}
}

func TestPolicyString(t *testing.T) {
	if s := (Policy{}).String(); s != "any camera but a virtual one" || !(Policy{}).Any() {
		t.Errorf("zero: %q", s)
	}
	p, err := NewPolicy([]string{"046d:0825", "046D:0825"}, []string{"uvcvideo"})
	if err != nil {
		t.Fatal(err)
	}
	if s := p.String(); s != `allow = ["046d:0825"], allow_drivers = ["uvcvideo"]` || p.Any() {
		t.Errorf("%q", s)
	}
}

func TestPrintable(t *testing.T) {
	if got := printable("Cam\x00\x1b[31m\xffX"); got != "Cam[31m\uFFFDX" {
		t.Errorf("%q", got)
	}
}
