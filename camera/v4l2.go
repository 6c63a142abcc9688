//go:build linux

package camera

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// FourCC codes of the two formats the V4L2 source decodes.
const (
	FourCCMJPEG uint32 = 'M' | 'J'<<8 | 'P'<<16 | 'G'<<24
	FourCCYUYV  uint32 = 'Y' | 'U'<<8 | 'Y'<<16 | 'V'<<24
)

// FourCCString spells a V4L2 pixel format code, e.g. "MJPG".
func FourCCString(c uint32) string {
	return string([]byte{byte(c), byte(c >> 8), byte(c >> 16), byte(c >> 24)})
}

// DeviceInfo describes one V4L2 capture node, as VIDIOC_QUERYCAP, the
// format enumeration and sysfs give it. BusInfo (e.g. "usb-0000:00:14.0-2")
// names the USB port: it survives an unplug, the /dev/videoN path does not.
type DeviceInfo struct {
	Path, Card, Driver, BusInfo string
	VendorID, ProductID         string // USB ids ("046d", "0825"); "" when not a USB device
	Formats                     []FormatInfo
}

// FormatInfo is one pixel format and its frame sizes.
type FormatInfo struct {
	FourCC      uint32
	Description string
	Sizes       []Size
}

// Size is a frame size and, when the driver lists them, its frame rates.
type Size struct {
	W, H int
	FPS  []float64
}

// Format is what the source streams.
type Format struct {
	FourCC        uint32
	Width, Height int
}

func (f Format) String() string {
	return fmt.Sprintf("%s %dx%d", FourCCString(f.FourCC), f.Width, f.Height)
}

// v4l2Device is the handful of device calls the source makes; the real one
// is blackjack/webcam (v4l2_device.go), tests use a fake.
type v4l2Device interface {
	Formats() []FormatInfo
	SetFormat(fourcc uint32, w, h int) (got uint32, gw, gh int, err error)
	SetFPS(fps int) error
	Start() error
	Wait(timeout time.Duration) error // errWaitTimeout when no frame came
	Frame() (buf []byte, index uint32, err error)
	Release(index uint32) error
	Close() error
}

// v4l2Sys is how the source reaches devices: opened by path, listed by
// scan, their USB ids read under sysfs ("/sys"; a temp tree in tests, ""
// reads none).
type v4l2Sys struct {
	open  func(path string) (v4l2Device, error)
	list  func() ([]DeviceInfo, error)
	sysfs string
}

// devices lists the capture devices with their USB ids.
func (s v4l2Sys) devices() ([]DeviceInfo, error) {
	devs, err := s.list()
	if err != nil || s.sysfs == "" {
		return devs, err
	}
	for i := range devs {
		devs[i].VendorID, devs[i].ProductID = sysfsUSBIDs(s.sysfs, devs[i].Path)
	}
	return devs, nil
}

// realSys is the machine's devices.
var realSys = v4l2Sys{open: openWebcam, list: listVideoDevices, sysfs: "/sys"}

var errWaitTimeout = errors.New("v4l2: no frame within the wait")

// V4L2Config selects and sets up the camera for OpenV4L2.
type V4L2Config struct {
	// Device is a /dev/videoN path; optional. Used only to find the camera
	// at start: after an unplug the camera is found again by bus info.
	Device string
	// BusInfo picks the camera by the USB port it is plugged into
	// (see `signkiosk camera list`); optional, preferred over Device.
	// With neither, the first capture device is used.
	BusInfo string
	// MaxWidth × MaxHeight caps the MJPEG size chosen; default 1280×720.
	MaxWidth, MaxHeight int
	// FPS is asked of the driver; 0 keeps the driver's default.
	FPS int
	// ReopenEvery is the pause between reopen attempts after an unplug;
	// default 1 s.
	ReopenEvery time.Duration
	// Policy refuses virtual cameras and, when it lists some, cameras not
	// on it. A refused camera is never opened; without BusInfo or Device
	// the first camera it takes is used.
	Policy Policy
	// Log gets open, unplug and reopen events (never frames).
	Log zerolog.Logger
}

// V4L2Stats counts what the source did since it opened.
type V4L2Stats struct {
	Device, BusInfo, Card string
	Format                Format
	Connected             bool
	Frames                uint64  // frames received from the device
	Delivered             uint64  // frames returned by Read (a slow reader skips some)
	Dropped               uint64  // frames read that failed to decode (and were skipped)
	Reconnects            uint64  // reopens after an unplug
	FPS                   float64 // frames received a second, over the last second or so
}

// V4L2 is a Source over a V4L2 webcam. One goroutine owns the device: it
// dequeues and publishes the newest frame (decoded when read), and on unplug closes
// the device and reopens the same camera (same bus info) when it returns.
// Read hands out the newest frame not yet read, a new image each time.
type V4L2 struct {
	cfg  V4L2Config
	sys  v4l2Sys
	log  zerolog.Logger
	stop chan struct{}
	done chan struct{}

	// Tunables, fixed before the loop starts; tests shorten them.
	waitStep     time.Duration // one Wait on the device; bounds Close's latency
	frameTimeout time.Duration // Read reports ErrNoFrames after this long without an event
	stallReopen  time.Duration // no frame for this long: reopen the device
	badFor       time.Duration // every frame failing to decode this long: ErrBadFrames

	dec MJPEGDecoder // shared by the frames it hands out (encoded.go)

	mu      sync.Mutex
	ident   Identity  // the camera opened first; a reopen takes only this one
	seq     uint64    // events: frames and errors
	read    uint64    // last event Read returned
	raw     []byte    // the newest frame as the device sent it (decoded by Read)
	rawFmt  Format    // its format
	rawAt   time.Time // when it arrived
	err     error
	badFrom time.Time // first of a run of frames that failed to decode (Read's side)
	down    error     // non-nil while disconnected
	changed chan struct{}
	closed  bool
	stats   V4L2Stats
	fpsFrom time.Time
	fpsN    int

	otherSeen Identity // a different camera last met at our port (run's goroutine), logged once
}

// OpenV4L2 opens the camera chosen by cfg (BusInfo, else Device, else the
// first capture device cfg.Policy takes), picks its format (MJPEG up to MaxWidth×MaxHeight
// when it reaches 1280×720 or the cap, else YUYV up to 640×480), starts
// streaming and returns the running source. ctx bounds the opening only;
// Close stops the source. Errors match ErrNoCamera, ErrBusy,
// ErrUnsupportedFormat, or (a *RefusedError) ErrVirtualCamera or
// ErrCameraNotAllowed.
func OpenV4L2(ctx context.Context, cfg V4L2Config) (*V4L2, error) {
	return openV4L2(ctx, cfg, realSys)
}

// ListV4L2 lists the capture devices with their formats and USB ids.
func ListV4L2() ([]DeviceInfo, error) { return realSys.devices() }

// openV4L2 is OpenV4L2 over any devices; tune (tests) adjusts the timings
// before the loop starts.
func openV4L2(ctx context.Context, cfg V4L2Config, sys v4l2Sys, tune ...func(*V4L2)) (*V4L2, error) {
	if cfg.MaxWidth <= 0 || cfg.MaxHeight <= 0 {
		cfg.MaxWidth, cfg.MaxHeight = 1280, 720
	}
	if cfg.ReopenEvery <= 0 {
		cfg.ReopenEvery = time.Second
	}
	v := &V4L2{
		cfg: cfg, sys: sys, log: cfg.Log,
		stop: make(chan struct{}), done: make(chan struct{}),
		waitStep: time.Second, frameTimeout: 2 * time.Second,
		stallReopen: 5 * time.Second, badFor: 2 * time.Second,
		changed: make(chan struct{}),
	}
	for _, t := range tune {
		t(v)
	}
	info, err := v.find(true)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dev, f, err := v.openDevice(info)
	if err != nil {
		return nil, err
	}
	v.connected(info, f)
	go v.run(dev)
	return v, nil
}

// find picks the device: at start by the configuration and the policy;
// later (reopen) only the camera first opened: the same bus info and the
// same identity, so another camera that took its /dev/videoN, or another
// model plugged into its port, is never picked up (the evidence names the
// camera opened first; a new one is taken at the next start, after the
// policy has looked at it).
func (v *V4L2) find(initial bool) (DeviceInfo, error) {
	devs, err := v.sys.devices()
	if err != nil {
		return DeviceInfo{}, err
	}
	bus, path := v.cfg.BusInfo, v.cfg.Device
	var was Identity
	if !initial {
		// A driver without bus info leaves only path and identity (card
		// name, USB ids) to go by: both must match, never the path alone.
		v.mu.Lock()
		bus, path, was = v.ident.BusInfo, v.stats.Device, v.ident
		v.mu.Unlock()
	}
	var refused error
	for _, d := range devs {
		if (bus != "" && d.BusInfo != bus) || (bus == "" && path != "" && d.Path != path) {
			continue
		}
		id := d.Identity()
		if !initial {
			if id != was {
				v.differentCamera(id, bus)
				continue
			}
			return d, nil
		}
		if err := v.cfg.Policy.Check(id); err != nil {
			if bus != "" || path != "" {
				return DeviceInfo{}, err // the camera asked for is refused
			}
			if refused == nil {
				refused = err
			}
			continue
		}
		return d, nil
	}
	switch {
	case refused != nil:
		return DeviceInfo{}, refused // every camera there is refused: say why
	case bus != "":
		return DeviceInfo{}, fmt.Errorf("%w: none at bus %q (%d capture devices)", ErrNoCamera, bus, len(devs))
	case path != "":
		return DeviceInfo{}, fmt.Errorf("%w: %s is not a capture device", ErrNoCamera, path)
	}
	return DeviceInfo{}, fmt.Errorf("%w (/dev/video* absent)", ErrNoCamera)
}

// openDevice opens, configures and starts one device; on any failure the
// device is closed again, so nothing stays held.
func (v *V4L2) openDevice(info DeviceInfo) (v4l2Device, Format, error) {
	dev, err := v.sys.open(info.Path)
	if err != nil {
		return nil, Format{}, classify(fmt.Errorf("v4l2 open %s: %w", info.Path, err))
	}
	f, err := v.configure(dev, info)
	if err != nil {
		dev.Close()
		return nil, Format{}, err
	}
	return dev, f, nil
}

func (v *V4L2) configure(dev v4l2Device, info DeviceInfo) (Format, error) {
	want, err := chooseFormat(dev.Formats(), v.cfg.MaxWidth, v.cfg.MaxHeight)
	if err != nil {
		return Format{}, fmt.Errorf("v4l2 %s: %w", info.Path, err)
	}
	code, w, h, err := dev.SetFormat(want.FourCC, want.Width, want.Height)
	if err != nil {
		return Format{}, classify(fmt.Errorf("v4l2 set format %s on %s: %w", want, info.Path, err))
	}
	got := Format{FourCC: code, Width: w, Height: h}
	if (code != FourCCMJPEG && code != FourCCYUYV) || w <= 0 || h <= 0 || (code == FourCCYUYV && w%2 != 0) {
		return Format{}, fmt.Errorf("v4l2 %s: %w: driver set %s", info.Path, ErrUnsupportedFormat, got)
	}
	if v.cfg.FPS > 0 {
		if err := dev.SetFPS(v.cfg.FPS); err != nil {
			v.log.Warn().Err(err).Str("device", info.Path).Int("fps", v.cfg.FPS).Msg("camera: frame rate not set")
		}
	}
	if err := dev.Start(); err != nil {
		return Format{}, classify(fmt.Errorf("v4l2 start %s: %w", info.Path, err))
	}
	return got, nil
}

// classify marks busy and vanished devices. blackjack/webcam returns errnos
// from most calls but flattens StartStreaming's to text, hence the strings.
func classify(err error) error {
	msg := strings.ToLower(err.Error())
	switch {
	case errors.Is(err, syscall.EBUSY) || strings.Contains(msg, "device or resource busy"):
		return fmt.Errorf("%w: %w", ErrBusy, err)
	case gone(err):
		return fmt.Errorf("%w: %w", ErrNoCamera, err)
	}
	return err
}

// gone reports errors of a device that is no longer there.
func gone(err error) bool {
	msg := strings.ToLower(err.Error())
	return errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ENOENT) ||
		errors.Is(err, syscall.EIO) || errors.Is(err, syscall.ENXIO) ||
		strings.Contains(msg, "no such device") || strings.Contains(msg, "input/output error")
}

// chooseFormat: MJPEG at the largest size within the cap when that reaches
// 1280×720 (or the cap, if smaller), since YUYV at such sizes overruns
// USB 2 bandwidth; else YUYV at the largest size up to 640×480, which needs
// no decoding; else whatever MJPEG or YUYV there is, smallest YUYV last.
func chooseFormat(formats []FormatInfo, maxW, maxH int) (Format, error) {
	var mjpeg, yuyv []Size
	var offered []string
	for _, f := range formats {
		switch f.FourCC {
		case FourCCMJPEG:
			mjpeg = append(mjpeg, f.Sizes...)
		case FourCCYUYV:
			yuyv = append(yuyv, f.Sizes...)
		}
		offered = append(offered, FourCCString(f.FourCC))
	}
	within := func(w, h int) func(Size) bool {
		return func(s Size) bool { return s.W <= w && s.H <= h && s.W > 0 && s.H > 0 }
	}
	largest := func(sizes []Size, ok func(Size) bool) (Size, bool) {
		var best Size
		for _, s := range sizes {
			if ok(s) && s.W*s.H > best.W*best.H {
				best = s
			}
		}
		return best, best.W > 0
	}
	if s, ok := largest(mjpeg, within(maxW, maxH)); ok && s.W >= min(1280, maxW) && s.H >= min(720, maxH) {
		return Format{FourCCMJPEG, s.W, s.H}, nil
	}
	if s, ok := largest(yuyv, func(s Size) bool { return within(min(640, maxW), min(480, maxH))(s) && s.W%2 == 0 }); ok {
		return Format{FourCCYUYV, s.W, s.H}, nil
	}
	if s, ok := largest(mjpeg, within(maxW, maxH)); ok {
		return Format{FourCCMJPEG, s.W, s.H}, nil
	}
	// Only sizes above the caps are left: the smallest is the safest.
	smallest := func(sizes []Size) (Size, bool) {
		var best Size
		for _, s := range sizes {
			if s.W > 0 && s.H > 0 && s.W%2 == 0 && (best.W == 0 || s.W*s.H < best.W*best.H) {
				best = s
			}
		}
		return best, best.W > 0
	}
	if s, ok := smallest(mjpeg); ok {
		return Format{FourCCMJPEG, s.W, s.H}, nil
	}
	if s, ok := smallest(yuyv); ok {
		return Format{FourCCYUYV, s.W, s.H}, nil
	}
	if len(offered) == 0 {
		offered = []string{"nothing"}
	}
	slices.Sort(offered)
	return Format{}, fmt.Errorf("%w: device offers %s", ErrUnsupportedFormat, strings.Join(offered, ", "))
}

// differentCamera logs, once per camera, that our port holds another one.
func (v *V4L2) differentCamera(id Identity, bus string) {
	if id == v.otherSeen {
		return
	}
	v.otherSeen = id
	v.log.Warn().Str("bus", bus).Stringer("found", id).Stringer("camera", v.Identity()).
		Msg("camera: a different camera is at the port; it is taken only after a restart of the kiosk")
}

func (v *V4L2) connected(info DeviceInfo, f Format) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.ident = info.Identity()
	v.stats.Device, v.stats.BusInfo, v.stats.Card = info.Path, info.BusInfo, info.Card
	v.stats.Format, v.stats.Connected = f, true
	v.stats.FPS, v.fpsFrom, v.fpsN = 0, time.Time{}, 0
	v.down = nil
	v.log.Info().Str("device", info.Path).Str("bus", info.BusInfo).Str("card", info.Card).
		Str("usb", info.Identity().USBID()).Str("driver", info.Driver).
		Stringer("format", f).Msg("camera: streaming")
}

// Identity implements Identifier: the camera opened (and reopened, which
// is always the same one).
func (v *V4L2) Identity() Identity {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.ident
}

// run is the device loop: capture until the device fails, then reopen it
// every ReopenEvery until it is back or the source is closed.
func (v *V4L2) run(dev v4l2Device) {
	defer close(v.done)
	tick := time.NewTicker(v.cfg.ReopenEvery)
	defer tick.Stop()
	for {
		if dev != nil {
			err := v.capture(dev)
			dev.Close()
			dev = nil
			if err == nil {
				return
			}
			v.disconnected(err)
			tick.Reset(v.cfg.ReopenEvery)
		}
		select {
		case <-v.stop:
			return
		case <-tick.C:
		}
		info, err := v.find(false)
		if err == nil {
			var f Format
			if dev, f, err = v.openDevice(info); err == nil {
				v.mu.Lock()
				v.stats.Reconnects++
				v.mu.Unlock()
				v.connected(info, f)
				continue
			}
		}
		v.mu.Lock()
		bus := v.stats.BusInfo
		v.mu.Unlock()
		v.publish(false, fmt.Errorf("%w: waiting for the camera at bus %q: %w", ErrDisconnected, bus, err))
	}
}

func (v *V4L2) disconnected(err error) {
	v.mu.Lock()
	path, bus := v.stats.Device, v.stats.BusInfo
	v.stats.Connected, v.stats.FPS = false, 0
	v.down = fmt.Errorf("%w: %s (bus %q): %w", ErrDisconnected, path, bus, err)
	down := v.down
	v.mu.Unlock()
	v.log.Warn().Err(err).Str("device", path).Str("bus", bus).Msg("camera: lost, reopening by bus info")
	v.publish(false, down)
}

// capture reads frames until the source is stopped (nil) or the device
// fails. Frames are decoded before their buffer goes back to the driver.
func (v *V4L2) capture(dev v4l2Device) error {
	v.mu.Lock()
	f := v.stats.Format
	v.mu.Unlock()
	lastFrame := time.Now()
	for {
		select {
		case <-v.stop:
			return nil
		default:
		}
		if err := dev.Wait(v.waitStep); err != nil {
			if !errors.Is(err, errWaitTimeout) {
				return fmt.Errorf("v4l2 wait: %w", err)
			}
			if time.Since(lastFrame) > v.stallReopen {
				return fmt.Errorf("v4l2: no frame for %v", v.stallReopen)
			}
			continue
		}
		buf, index, err := dev.Frame()
		if errors.Is(err, syscall.EAGAIN) {
			continue
		}
		if err != nil {
			return fmt.Errorf("v4l2 dqbuf: %w", err)
		}
		lastFrame = time.Now()
		// Copied, not decoded: decoding (8–12 ms for 720p MJPEG) happens in
		// Read, only for frames someone reads, so a kiosk on a screen
		// without the camera spends nothing on it.
		raw := bytes.Clone(buf)
		if err := dev.Release(index); err != nil {
			return fmt.Errorf("v4l2 qbuf: %w", err)
		}
		v.publishRaw(raw, f, lastFrame)
	}
}

// decodeFrame makes a new image per frame: frames are shared read-only
// downstream (Hub), so buffers are not reused. MJPEG decodes at 1/den;
// YUYV is converted at full size (no camera of ours sends it at 720p).
func decodeFrame(dec *MJPEGDecoder, f Format, buf []byte, den int) (image.Image, error) {
	if f.FourCC == FourCCYUYV {
		return YUYVToYCbCr(nil, buf, f.Width, f.Height)
	}
	return dec.Decode(buf, den)
}

// publishRaw makes a frame from the device the newest.
func (v *V4L2) publishRaw(raw []byte, f Format, at time.Time) {
	v.mu.Lock()
	v.raw, v.rawFmt, v.rawAt = raw, f, at
	v.mu.Unlock()
	v.publish(true, nil)
}

// publish records an event: a frame (its bytes already in raw) or an error.
func (v *V4L2) publish(frame bool, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	if frame {
		v.stats.Frames++
		now := time.Now()
		if v.fpsFrom.IsZero() {
			v.fpsFrom, v.fpsN = now, 0
		} else if v.fpsN++; now.Sub(v.fpsFrom) >= time.Second {
			v.stats.FPS = float64(v.fpsN) / now.Sub(v.fpsFrom).Seconds()
			v.fpsFrom, v.fpsN = now, 0
		}
	}
	v.seq++
	if !frame {
		v.raw = nil
	}
	v.err = err
	close(v.changed)
	v.changed = make(chan struct{})
}

// Read implements Source: the newest frame or error not yet returned, at
// full size. While disconnected it returns errors matching
// ErrDisconnected (about one per ReopenEvery); a silent camera gives
// ErrNoFrames after 2 s. A frame that does not decode is skipped; a run of
// them lasting badFor gives ErrBadFrames.
func (v *V4L2) Read(ctx context.Context) (image.Image, error) {
	for {
		e, err := v.readEncoded(ctx)
		if err != nil {
			return nil, err
		}
		img, skip, err := e.at(1)
		if !skip {
			return img, err
		}
	}
}

// readEncoded is Read without the decoding (encodedSource).
func (v *V4L2) readEncoded(ctx context.Context) (*encoded, error) {
	timer := time.NewTimer(v.frameTimeout)
	defer timer.Stop()
	for {
		v.mu.Lock()
		if v.closed {
			v.mu.Unlock()
			return nil, ErrClosed
		}
		if v.seq > v.read {
			v.read = v.seq
			raw, f, at, err := v.raw, v.rawFmt, v.rawAt, v.err
			v.mu.Unlock()
			if err != nil {
				return nil, err
			}
			return &encoded{format: f, raw: raw, dec: &v.dec, judged: func(err error) error { return v.judge(at, err) }}, nil
		}
		changed, down := v.changed, v.down
		v.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-changed:
		case <-timer.C:
			if down != nil {
				return nil, down
			}
			return nil, fmt.Errorf("%w for %v", ErrNoFrames, v.frameTimeout)
		}
	}
}

// judge counts a frame sent at at as delivered, or as dropped when it did
// not decode; only a run of dropped frames lasting badFor is the camera's
// failure (returned).
func (v *V4L2) judge(at time.Time, derr error) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if derr == nil {
		v.badFrom = time.Time{}
		v.stats.Delivered++
		return nil
	}
	v.stats.Dropped++
	if v.badFrom.IsZero() {
		v.badFrom = at
	}
	if at.Sub(v.badFrom) >= v.badFor {
		return fmt.Errorf("%w for %v: %w", ErrBadFrames, v.badFor, derr)
	}
	return nil
}

// Stats is a snapshot of the source's counters.
func (v *V4L2) Stats() V4L2Stats {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.stats
}

// Close stops the loop and closes the device; it waits for the loop, at
// most one device wait (about a second).
func (v *V4L2) Close() error {
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return nil
	}
	v.closed = true
	close(v.changed) // wake a blocked Read: it sees closed
	v.changed = make(chan struct{})
	v.mu.Unlock()
	close(v.stop)
	<-v.done
	v.dec.Close()
	return nil
}
