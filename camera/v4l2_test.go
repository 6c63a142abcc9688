//go:build linux

package camera

import (
	"context"
	"errors"
	"fmt"
	"image"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeCam is one physical camera; fakeBus is /dev with cameras plugged in
// at paths. The source under test sees them only through v4l2Sys.
type fakeCam struct {
	bus, card string
	driver    string // "fake" when empty
	formats   []FormatInfo
	mark      byte // Y value of every YUYV pixel: tells cameras apart
	mjpeg     []byte

	mu        sync.Mutex
	busy      bool
	silent    bool
	unplugged bool
	badEvery  int // every n-th frame (n>0) is garbage; 1: all
	n         int
	opens     int
	closes    int
}

type fakeBus struct {
	mu    sync.Mutex
	nodes map[string]*fakeCam
	sysfs string // a temp sysfs tree (newSysTree) with the nodes' USB ids; "" for none
}

func newFakeBus() *fakeBus { return &fakeBus{nodes: map[string]*fakeCam{}} }

func (b *fakeBus) plug(path string, c *fakeCam) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c.mu.Lock()
	c.unplugged = false
	c.mu.Unlock()
	b.nodes[path] = c
}

func (b *fakeBus) unplug(path string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.nodes[path]
	delete(b.nodes, path)
	c.mu.Lock()
	c.unplugged = true
	c.mu.Unlock()
}

func (b *fakeBus) sys() v4l2Sys { return v4l2Sys{open: b.open, list: b.list, sysfs: b.sysfs} }

func (b *fakeBus) list() ([]DeviceInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []DeviceInfo
	for p, c := range b.nodes {
		drv := c.driver
		if drv == "" {
			drv = "fake"
		}
		out = append(out, DeviceInfo{Path: p, Card: c.card, Driver: drv, BusInfo: c.bus, Formats: c.formats})
	}
	slices.SortFunc(out, func(a, b DeviceInfo) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

func (b *fakeBus) open(path string) (v4l2Device, error) {
	b.mu.Lock()
	c := b.nodes[path]
	b.mu.Unlock()
	if c == nil {
		return nil, syscall.ENOENT
	}
	c.mu.Lock()
	c.opens++
	c.mu.Unlock()
	return &fakeDev{c: c}, nil
}

type fakeDev struct {
	c      *fakeCam
	format Format
}

func (d *fakeDev) Formats() []FormatInfo { return d.c.formats }

func (d *fakeDev) SetFormat(code uint32, w, h int) (uint32, int, int, error) {
	d.format = Format{code, w, h}
	return code, w, h, nil
}

func (d *fakeDev) SetFPS(int) error { return nil }

func (d *fakeDev) Start() error {
	d.c.mu.Lock()
	defer d.c.mu.Unlock()
	if d.c.busy {
		// as blackjack/webcam words it: the errno is lost
		return errors.New("Failed to start streaming: device or resource busy")
	}
	return nil
}

func (d *fakeDev) Wait(timeout time.Duration) error {
	d.c.mu.Lock()
	silent, gone := d.c.silent, d.c.unplugged
	d.c.mu.Unlock()
	if gone {
		return nil // poll reports POLLERR: readable, DQBUF then fails
	}
	if silent {
		time.Sleep(min(timeout, 5*time.Millisecond))
		return errWaitTimeout
	}
	time.Sleep(2 * time.Millisecond)
	return nil
}

func (d *fakeDev) Frame() ([]byte, uint32, error) {
	d.c.mu.Lock()
	defer d.c.mu.Unlock()
	if d.c.unplugged {
		return nil, 0, syscall.ENODEV // "DQBUF: No such device"
	}
	d.c.n++
	if d.c.badEvery > 0 && d.c.n%d.c.badEvery == 0 {
		return []byte{0xff, 0xd8, 0xde, 0xad, 0xbe, 0xef}, 0, nil
	}
	if d.format.FourCC == FourCCMJPEG {
		return d.c.mjpeg, 0, nil
	}
	buf := make([]byte, d.format.Width*d.format.Height*2)
	for i := 0; i < len(buf); i += 2 {
		buf[i], buf[i+1] = d.c.mark, 128
	}
	return buf, 0, nil
}

func (d *fakeDev) Release(uint32) error { return nil }

func (d *fakeDev) Close() error {
	d.c.mu.Lock()
	d.c.closes++
	d.c.mu.Unlock()
	return nil
}

func (c *fakeCam) counts() (opens, closes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opens, c.closes
}

func yuyvCam(bus string, mark byte) *fakeCam {
	return &fakeCam{bus: bus, card: "Fake Cam " + bus, mark: mark, formats: []FormatInfo{
		{FourCC: FourCCYUYV, Sizes: []Size{{W: 320, H: 240}, {W: 640, H: 480}, {W: 1280, H: 720}}},
	}}
}

func fastTimings(v *V4L2) {
	v.waitStep, v.frameTimeout, v.stallReopen, v.badFor = 10*time.Millisecond, 300*time.Millisecond, time.Second, 100*time.Millisecond
}

func testConfig(bus string) V4L2Config {
	return V4L2Config{BusInfo: bus, ReopenEvery: 20 * time.Millisecond}
}

// readMark reads until a frame comes and returns its first Y value.
func readMark(t *testing.T, v *V4L2) byte {
	t.Helper()
	// The fake camera gives a frame every ~2 ms; 10 s is a bound far above
	// that (a busy machine under -race), not a speed check.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		img, err := v.Read(context.Background())
		if err == nil {
			return img.(*image.YCbCr).Y[0]
		}
	}
	t.Fatal("no frame in 10 s")
	return 0
}

func TestChooseFormat(t *testing.T) {
	sz := func(s ...int) []Size {
		var out []Size
		for i := 0; i < len(s); i += 2 {
			out = append(out, Size{W: s[i], H: s[i+1]})
		}
		return out
	}
	mj := func(s ...int) FormatInfo { return FormatInfo{FourCC: FourCCMJPEG, Sizes: sz(s...)} }
	yu := func(s ...int) FormatInfo { return FormatInfo{FourCC: FourCCYUYV, Sizes: sz(s...)} }
	cases := []struct {
		name       string
		formats    []FormatInfo
		maxW, maxH int
		want       Format
	}{
		{"mjpeg capped at 720p", []FormatInfo{yu(640, 480, 1280, 720), mj(640, 480, 1920, 1080, 1280, 720)}, 1280, 720, Format{FourCCMJPEG, 1280, 720}},
		{"mjpeg 1080p when allowed", []FormatInfo{yu(640, 480), mj(1280, 720, 1920, 1080)}, 1920, 1080, Format{FourCCMJPEG, 1920, 1080}},
		{"small mjpeg loses to yuyv", []FormatInfo{mj(640, 480), yu(320, 240, 640, 480, 1280, 720)}, 1280, 720, Format{FourCCYUYV, 640, 480}},
		{"only small mjpeg", []FormatInfo{mj(320, 240, 640, 480)}, 1280, 720, Format{FourCCMJPEG, 640, 480}},
		{"only big yuyv: smallest", []FormatInfo{yu(1920, 1080, 1280, 720)}, 1280, 720, Format{FourCCYUYV, 1280, 720}},
		{"cap below 720p", []FormatInfo{mj(640, 480, 1280, 720), yu(640, 480)}, 640, 480, Format{FourCCMJPEG, 640, 480}},
	}
	for _, c := range cases {
		got, err := chooseFormat(c.formats, c.maxW, c.maxH)
		if err != nil || got != c.want {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	h264 := uint32('H' | '2'<<8 | '6'<<16 | '4'<<24)
	grey := uint32('G' | 'R'<<8 | 'E'<<16 | 'Y'<<24)
	_, err := chooseFormat([]FormatInfo{{FourCC: h264, Sizes: sz(1920, 1080)}, {FourCC: grey, Sizes: sz(640, 480)}}, 1280, 720)
	if !errors.Is(err, ErrUnsupportedFormat) || !strings.Contains(err.Error(), "GREY, H264") {
		t.Fatalf("H264+GREY: %v", err)
	}
}

func TestV4L2ReadsYUYVAndMJPEG(t *testing.T) {
	bus := newFakeBus()
	cam := yuyvCam("usb-1", 77)
	bus.plug("/dev/video0", cam)
	v, err := openV4L2(context.Background(), testConfig(""), bus.sys(), fastTimings)
	if err != nil {
		t.Fatal(err)
	}
	img, err := v.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ycc, ok := img.(*image.YCbCr)
	if !ok || ycc.Bounds() != image.Rect(0, 0, 640, 480) || ycc.Y[0] != 77 || ycc.Cb[0] != 128 {
		t.Fatalf("frame %T %v", img, img.Bounds())
	}
	if again, _ := v.Read(context.Background()); again == img {
		t.Fatal("the same image handed out twice")
	}
	st := v.Stats()
	if st.Format != (Format{FourCCYUYV, 640, 480}) || st.Delivered != 2 || st.Frames < 2 || !st.Connected || st.BusInfo != "usb-1" {
		t.Fatalf("stats %+v", st)
	}
	v.Close()
	if o, c := cam.counts(); o != 1 || c != 1 {
		t.Fatalf("opens %d closes %d", o, c)
	}

	full := encodeJPEG(t, texturedImage(1280, 720))
	mcam := &fakeCam{bus: "usb-2", mjpeg: stripDHT(t, full), formats: []FormatInfo{
		{FourCC: FourCCMJPEG, Sizes: []Size{{W: 640, H: 480}, {W: 1280, H: 720}, {W: 1920, H: 1080}}},
		{FourCC: FourCCYUYV, Sizes: []Size{{W: 640, H: 480}}},
	}}
	bus.plug("/dev/video2", mcam)
	v, err = openV4L2(context.Background(), testConfig("usb-2"), bus.sys(), fastTimings)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	img, err = v.Read(context.Background())
	if err != nil || img.Bounds() != image.Rect(0, 0, 1280, 720) {
		t.Fatalf("mjpeg frame: %v", err)
	}
	if f := v.Stats().Format; f.FourCC != FourCCMJPEG {
		t.Fatalf("format %v", f)
	}
}

func TestV4L2DropsUndecodableFrames(t *testing.T) {
	bus := newFakeBus()
	cam := yuyvCam("usb-1", 50)
	cam.badEvery = 2 // a short buffer every other frame
	bus.plug("/dev/video0", cam)
	// What is tested is that a dropped frame never surfaces, not how soon a
	// run of them does: bounds far above a busy machine's pauses (under
	// -race with other suites running, 300 ms between frames happened).
	slack := func(v *V4L2) { fastTimings(v); v.frameTimeout, v.badFor = 10*time.Second, 10*time.Second }
	v, err := openV4L2(context.Background(), testConfig("usb-1"), bus.sys(), slack)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for range 10 {
		if _, err := v.Read(context.Background()); err != nil {
			t.Fatalf("a dropped frame surfaced: %v", err)
		}
	}
	if st := v.Stats(); st.Dropped == 0 || st.Frames < 10 {
		t.Fatalf("stats %+v", st)
	}

	v.mu.Lock()
	v.badFor = 100 * time.Millisecond // now the run of bad frames is what is tested
	v.mu.Unlock()
	cam.mu.Lock()
	cam.badEvery = 1 // now every frame is garbage
	cam.mu.Unlock()
	var last error
	// badFor is 100 ms; the 10 s bound only stops a broken test, far above it.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !errors.Is(last, ErrBadFrames); {
		_, last = v.Read(context.Background())
	}
	if !errors.Is(last, ErrBadFrames) {
		t.Fatalf("all frames bad: %v", last)
	}
	cam.mu.Lock()
	cam.badEvery = 0
	cam.mu.Unlock()
	if readMark(t, v) != 50 {
		t.Fatal("wrong frames after recovery")
	}
}

func TestV4L2ReconnectsBySameBusInfoOnly(t *testing.T) {
	bus := newFakeBus()
	ours, other := yuyvCam("usb-0000:00:14.0-1", 11), yuyvCam("usb-0000:00:14.0-2", 22)
	bus.plug("/dev/video0", ours)
	v, err := openV4L2(context.Background(), testConfig("usb-0000:00:14.0-1"), bus.sys(), fastTimings)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if m := readMark(t, v); m != 11 {
		t.Fatalf("mark %d", m)
	}

	// Unplug mid-capture; another camera takes the old path.
	bus.unplug("/dev/video0")
	bus.plug("/dev/video0", other)
	var err2 error
	// The unplug shows on the next frame (~2 ms); 10 s only stops a broken test.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if _, err2 = v.Read(context.Background()); err2 != nil {
			break
		}
	}
	if !errors.Is(err2, ErrDisconnected) {
		t.Fatalf("after unplug: %v", err2)
	}
	// Several reopen periods pass: still disconnected, the other camera untouched.
	for range 5 {
		img, err := v.Read(context.Background())
		if !errors.Is(err, ErrDisconnected) {
			t.Fatalf("while unplugged: %v, frame %v", err, img != nil)
		}
	}
	if o, _ := other.counts(); o != 0 {
		t.Fatal("the camera now at the old path was opened")
	}
	if st := v.Stats(); st.Connected {
		t.Fatalf("stats say connected: %+v", st)
	}

	// Ours comes back under a new path.
	bus.plug("/dev/video4", ours)
	if m := readMark(t, v); m != 11 {
		t.Fatalf("after reconnect: mark %d", m)
	}
	st := v.Stats()
	if !st.Connected || st.Device != "/dev/video4" || st.Reconnects != 1 {
		t.Fatalf("stats %+v", st)
	}
	v.Close()
	if o, c := ours.counts(); o != 2 || c != 2 {
		t.Fatalf("ours: opens %d closes %d", o, c)
	}
}

func TestV4L2OpenErrors(t *testing.T) {
	ctx := context.Background()
	bus := newFakeBus()
	if _, err := openV4L2(ctx, testConfig(""), bus.sys(), fastTimings); !errors.Is(err, ErrNoCamera) {
		t.Fatalf("no camera: %v", err)
	}
	busy := yuyvCam("usb-1", 1)
	busy.busy = true
	bus.plug("/dev/video0", busy)
	if _, err := openV4L2(ctx, testConfig("usb-9"), bus.sys(), fastTimings); !errors.Is(err, ErrNoCamera) {
		t.Fatalf("absent bus info: %v", err)
	}
	if _, err := openV4L2(ctx, V4L2Config{Device: "/dev/video7"}, bus.sys(), fastTimings); !errors.Is(err, ErrNoCamera) {
		t.Fatalf("absent path: %v", err)
	}
	if _, err := openV4L2(ctx, testConfig("usb-1"), bus.sys(), fastTimings); !errors.Is(err, ErrBusy) {
		t.Fatalf("busy: %v", err)
	}
	if o, c := busy.counts(); o != 1 || c != 1 {
		t.Fatalf("busy device left open: opens %d closes %d", o, c)
	}
	h264 := &fakeCam{bus: "usb-3", formats: []FormatInfo{{FourCC: uint32('H' | '2'<<8 | '6'<<16 | '4'<<24), Sizes: []Size{{W: 1920, H: 1080}}}}}
	bus.plug("/dev/video2", h264)
	_, err := openV4L2(ctx, V4L2Config{Device: "/dev/video2"}, bus.sys(), fastTimings)
	if !errors.Is(err, ErrUnsupportedFormat) || !strings.Contains(err.Error(), "H264") {
		t.Fatalf("h264 only: %v", err)
	}
	if o, c := h264.counts(); o != 1 || c != 1 {
		t.Fatalf("unsupported device left open: opens %d closes %d", o, c)
	}
}

func TestV4L2TimeoutContextAndClose(t *testing.T) {
	bus := newFakeBus()
	cam := yuyvCam("usb-1", 5)
	cam.silent = true
	bus.plug("/dev/video0", cam)
	v, err := openV4L2(context.Background(), testConfig("usb-1"), bus.sys(), fastTimings)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Read(context.Background()); !errors.Is(err, ErrNoFrames) {
		t.Fatalf("silent camera: %v", err)
	}
	// A read ends with its context. The second camera's frame timeout is a
	// minute, so a read that ignored the context would end (after that
	// minute) with ErrNoFrames instead: the error tells, not the time.
	slow := yuyvCam("usb-2", 6)
	slow.silent = true
	bus.plug("/dev/video1", slow)
	vs, err := openV4L2(context.Background(), testConfig("usb-2"), bus.sys(), func(v *V4L2) {
		fastTimings(v)
		v.frameTimeout = time.Minute
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := vs.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled read: %v", err)
	}
	vs.Close()
	done := make(chan error)
	go func() { _, err := v.Read(context.Background()); done <- err }()
	time.Sleep(20 * time.Millisecond)
	v.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("read across close: %v", err)
	}
	if o, c := cam.counts(); o != 1 || c != 1 {
		t.Fatalf("opens %d closes %d", o, c)
	}
}

// The hub hands each reader the camera's frames at the scale it asked for,
// decoded from the same MJPEG frames (also through Reopening, as the kiosk
// opens its camera), and a reader at any scale skips frames that do not
// decode.
func TestHubDecodesEachReaderAtItsScale(t *testing.T) {
	bus := newFakeBus()
	mcam := &fakeCam{bus: "usb-2", mjpeg: stripDHT(t, encodeJPEG(t, texturedImage(1280, 720))), formats: []FormatInfo{
		{FourCC: FourCCMJPEG, Sizes: []Size{{W: 1280, H: 720}}},
	}}
	bus.plug("/dev/video2", mcam)
	v, err := openV4L2(context.Background(), testConfig("usb-2"), bus.sys(), fastTimings)
	if err != nil {
		t.Fatal(err)
	}
	hub := NewHub(NewReopening(func(context.Context) (Source, error) { return v, nil }, time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go hub.Run(ctx)
	defer hub.Close()
	// asked for at least …: got
	want := map[image.Point]image.Rectangle{{0, 0}: image.Rect(0, 0, 1280, 720), {1280, 720}: image.Rect(0, 0, 1280, 720),
		{641, 300}: image.Rect(0, 0, 1280, 720), {640, 360}: image.Rect(0, 0, 640, 360), {400, 200}: image.Rect(0, 0, 640, 360),
		{320, 180}: image.Rect(0, 0, 320, 180), {1, 1}: image.Rect(0, 0, 160, 90)}
	errs := make(chan error, len(want))
	for least, size := range want {
		r := hub.ReaderAtLeast(least.X, least.Y)
		go func() {
			for range 5 {
				img, err := r.Read(ctx)
				if err == nil && img.Bounds() != size {
					err = fmt.Errorf("at least %v: %v, want %v", least, img.Bounds(), size)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range want {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}

	bad := yuyvCam("usb-1", 50)
	bad.badEvery = 2 // a short buffer every other frame
	bus.plug("/dev/video0", bad)
	slack := func(v *V4L2) { fastTimings(v); v.frameTimeout, v.badFor = 10*time.Second, 10*time.Second }
	bv, err := openV4L2(context.Background(), testConfig("usb-1"), bus.sys(), slack)
	if err != nil {
		t.Fatal(err)
	}
	bh := NewHub(bv)
	go bh.Run(ctx)
	defer bh.Close()
	r := bh.ReaderAtLeast(320, 240)
	for range 10 {
		if _, err := r.Read(ctx); err != nil {
			t.Fatalf("a dropped frame surfaced through the hub: %v", err)
		}
	}
	if st := bv.Stats(); st.Dropped == 0 || st.Delivered < 10 {
		t.Fatalf("stats %+v", st)
	}
}
