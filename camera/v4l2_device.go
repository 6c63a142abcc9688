//go:build linux

package camera

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/blackjack/webcam"
	"golang.org/x/sys/unix"
)

// This file is the hardware boundary: /dev/video* through blackjack/webcam
// (streaming) and one QUERYCAP of our own, because webcam v0.6.1 exposes
// neither the driver name nor the per-node device_caps.

// v4l2Capability is struct v4l2_capability of <linux/videodev2.h>.
type v4l2Capability struct {
	driver       [16]byte
	card         [32]byte
	busInfo      [32]byte
	version      uint32
	capabilities uint32
	deviceCaps   uint32
	reserved     [3]uint32
}

const (
	vidiocQueryCap  = 0x80685600 // _IOR('V', 0, struct v4l2_capability)
	capVideoCapture = 0x00000001
	capStreaming    = 0x04000000
	capDeviceCaps   = 0x80000000
)

// queryCap reads a node's identity. It opens read-only, which works while
// another program streams from the camera.
func queryCap(path string) (DeviceInfo, bool, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return DeviceInfo{}, false, err
	}
	defer unix.Close(fd)
	var c v4l2Capability
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), vidiocQueryCap, uintptr(unsafe.Pointer(&c))); e != 0 {
		return DeviceInfo{}, false, e
	}
	// A UVC camera has a second node for metadata with the same bus info;
	// device_caps (when present) tells the nodes apart.
	caps := c.capabilities
	if caps&capDeviceCaps != 0 {
		caps = c.deviceCaps
	}
	info := DeviceInfo{
		Path:    path,
		Card:    cString(c.card[:]),
		Driver:  cString(c.driver[:]),
		BusInfo: cString(c.busInfo[:]),
	}
	return info, caps&capVideoCapture != 0 && caps&capStreaming != 0, nil
}

func cString(b []byte) string {
	if i := slices.Index(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.TrimSpace(printable(string(b)))
}

// listVideoDevices scans /dev/video* for capture nodes, in number order,
// with their formats. A node that vanishes or fails mid-scan is skipped.
func listVideoDevices() ([]DeviceInfo, error) {
	paths, err := filepath.Glob("/dev/video*")
	if err != nil {
		return nil, fmt.Errorf("v4l2 list: %w", err)
	}
	slices.SortFunc(paths, func(a, b string) int { return videoNumber(a) - videoNumber(b) })
	var out []DeviceInfo
	for _, p := range paths {
		info, capture, err := queryCap(p)
		if err != nil || !capture {
			continue
		}
		if dev, err := openWebcam(p); err == nil {
			info.Formats = dev.Formats()
			dev.Close()
		}
		out = append(out, info)
	}
	return out, nil
}

func videoNumber(path string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(path), "video"))
	if err != nil {
		return 1 << 30
	}
	return n
}

// webcamDevice is v4l2Device over blackjack/webcam.
type webcamDevice struct {
	cam *webcam.Webcam
}

func openWebcam(path string) (v4l2Device, error) {
	cam, err := webcam.Open(path)
	if err != nil {
		return nil, err
	}
	return &webcamDevice{cam: cam}, nil
}

func (d *webcamDevice) Formats() []FormatInfo {
	// Tried inside a stepwise/continuous range, which the driver describes
	// only by its bounds.
	commonSizes := [...]Size{{W: 320, H: 240}, {W: 640, H: 480}, {W: 800, H: 600}, {W: 1024, H: 768},
		{W: 1280, H: 720}, {W: 1280, H: 960}, {W: 1600, H: 1200}, {W: 1920, H: 1080}}
	var out []FormatInfo
	for pf, desc := range d.cam.GetSupportedFormats() {
		f := FormatInfo{FourCC: uint32(pf), Description: desc}
		for _, fs := range d.cam.GetSupportedFrameSizes(pf) {
			if fs.StepWidth == 0 && fs.StepHeight == 0 {
				s := Size{W: int(fs.MaxWidth), H: int(fs.MaxHeight)}
				for _, r := range d.cam.GetSupportedFramerates(pf, fs.MaxWidth, fs.MaxHeight) {
					if r.StepNumerator == 0 && r.StepDenominator == 0 && r.MinNumerator > 0 {
						s.FPS = append(s.FPS, float64(r.MinDenominator)/float64(r.MinNumerator))
					}
				}
				f.Sizes = append(f.Sizes, s)
				continue
			}
			for _, s := range commonSizes {
				if inRange(s.W, fs.MinWidth, fs.MaxWidth, fs.StepWidth) && inRange(s.H, fs.MinHeight, fs.MaxHeight, fs.StepHeight) {
					f.Sizes = append(f.Sizes, s)
				}
			}
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b FormatInfo) int { return cmp.Compare(a.FourCC, b.FourCC) })
	return out
}

func inRange(v int, lo, hi, step uint32) bool {
	if v < int(lo) || v > int(hi) {
		return false
	}
	return step <= 1 || (uint32(v)-lo)%step == 0
}

func (d *webcamDevice) SetFormat(fourcc uint32, w, h int) (uint32, int, int, error) {
	pf, gw, gh, err := d.cam.SetImageFormat(webcam.PixelFormat(fourcc), uint32(w), uint32(h))
	return uint32(pf), int(gw), int(gh), err
}

func (d *webcamDevice) SetFPS(fps int) error { return d.cam.SetFramerate(float32(fps)) }

// Start asks for few buffers: the kiosk wants the newest frame, not a
// queue of old ones (the library's default is 256).
func (d *webcamDevice) Start() error {
	if err := d.cam.SetBufferCount(4); err != nil {
		return err
	}
	return d.cam.StartStreaming()
}

// Wait blocks up to timeout, in whole seconds as the library polls.
func (d *webcamDevice) Wait(timeout time.Duration) error {
	err := d.cam.WaitForFrame(uint32(max(1, (timeout+time.Second-1)/time.Second)))
	var t *webcam.Timeout
	if errors.As(err, &t) {
		return errWaitTimeout
	}
	return err
}

func (d *webcamDevice) Frame() ([]byte, uint32, error) { return d.cam.GetFrame() }

func (d *webcamDevice) Release(index uint32) error { return d.cam.ReleaseFrame(index) }

// Close stops streaming (unmapping the buffers) and closes the node. After
// a failed StartStreaming the library's buffers stay mapped until the
// process ends; closing at least frees the device for the next open.
func (d *webcamDevice) Close() error { return d.cam.Close() }
