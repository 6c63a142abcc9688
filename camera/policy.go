package camera

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"almatel.kz/signkiosk/camera/usbid"
)

// Refusals of a camera by Policy, for errors.Is; RefusedError says which
// camera and what the policy allows.
var (
	// ErrVirtualCamera: a virtual camera driver (v4l2loopback, akvcam, …)
	// feeds whatever a program writes into it, not what is in front of
	// the kiosk; it is refused whatever the allow-list says.
	ErrVirtualCamera = errors.New("virtual camera refused")
	// ErrCameraNotAllowed: the camera is not on a non-empty allow-list.
	ErrCameraNotAllowed = errors.New("camera not on the allow-list")
)

// RefusedError is a camera the policy refuses. Its text names the camera
// and the policy, for logs and the staff hint (not personal data).
type RefusedError struct {
	Camera Identity
	Reason error  // ErrVirtualCamera or ErrCameraNotAllowed
	Policy Policy // what was allowed
}

func (e *RefusedError) Error() string {
	if errors.Is(e.Reason, ErrVirtualCamera) {
		return fmt.Sprintf("camera %s refused: a virtual camera", e.Camera)
	}
	return fmt.Sprintf("camera %s refused: not allowed by %s", e.Camera, e.Policy)
}

func (e *RefusedError) Unwrap() error { return e.Reason }

// Policy says which V4L2 cameras the kiosk takes. Virtual cameras are
// always refused; beyond that, a non-empty Allow takes only those USB
// models and a non-empty Drivers only those drivers (both, when both are
// set). The zero Policy takes any camera that is not virtual.
type Policy struct {
	allow   []usbid.ID
	drivers []string
}

// NewPolicy parses the config's camera.allow ("046d:0825", …) and
// camera.allow_drivers ("uvcvideo", …).
func NewPolicy(allow, drivers []string) (Policy, error) {
	var p Policy
	for _, a := range allow {
		id, err := usbid.Parse(a)
		if err != nil {
			return Policy{}, fmt.Errorf("camera allow-list: %w", err)
		}
		if !slices.Contains(p.allow, id) {
			p.allow = append(p.allow, id)
		}
	}
	for _, d := range drivers {
		d = strings.TrimSpace(d)
		if d == "" {
			return Policy{}, errors.New("camera allow-list: an empty driver name")
		}
		p.drivers = append(p.drivers, d)
	}
	return p, nil
}

// Any reports whether the policy takes any camera but a virtual one.
func (p Policy) Any() bool { return len(p.allow) == 0 && len(p.drivers) == 0 }

// String is the policy in the config's own words, for staff:
// `allow = ["046d:0825"], allow_drivers = ["uvcvideo"]`, or
// `any camera but a virtual one`.
func (p Policy) String() string {
	if p.Any() {
		return "any camera but a virtual one"
	}
	quote := func(xs []string) string {
		q := make([]string, len(xs))
		for i, x := range xs {
			q[i] = fmt.Sprintf("%q", x)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	var parts []string
	if len(p.allow) > 0 {
		ids := make([]string, len(p.allow))
		for i, id := range p.allow {
			ids[i] = id.String()
		}
		parts = append(parts, "allow = "+quote(ids))
	}
	if len(p.drivers) > 0 {
		parts = append(parts, "allow_drivers = "+quote(p.drivers))
	}
	return strings.Join(parts, ", ")
}

// Check returns nil for a camera the policy takes, else a *RefusedError.
func (p Policy) Check(id Identity) error {
	refuse := func(reason error) error { return &RefusedError{Camera: id, Reason: reason, Policy: p} }
	if Virtual(id) {
		return refuse(ErrVirtualCamera)
	}
	if len(p.allow) > 0 {
		usb, err := usbid.Parse(id.USBID())
		if err != nil || !slices.Contains(p.allow, usb) {
			return refuse(ErrCameraNotAllowed)
		}
	}
	if len(p.drivers) > 0 && !slices.ContainsFunc(p.drivers, func(d string) bool { return strings.EqualFold(d, id.Driver) }) {
		return refuse(ErrCameraNotAllowed)
	}
	return nil
}

// Virtual cameras, by what they report of themselves (VIDIOC_QUERYCAP):
//   - v4l2loopback (also behind OBS's "OBS Virtual Camera", gstreamer's
//     v4l2sink, ffmpeg -f v4l2): driver "v4l2 loopback", bus
//     "platform:v4l2loopback-NNN";
//   - DroidCam's fork of it: bus "platform:v4l2loopback_dc";
//   - akvcam (Webcamoid): driver "akvcam", bus "platform:akvcam-N";
//   - the kernel's test drivers vivid and vimc, which draw test patterns.
//
// Names are compared without case, spaces, dashes or underscores.
var (
	virtualDrivers = []string{"v4l2loopback", "v4l2loopbackdc", "droidcam", "akvcam", "vivid", "vimc"}
	virtualBuses   = []string{"platform:v4l2loopback", "platform:akvcam", "platform:vivid", "platform:vimc"}
	virtualCards   = []string{"dummyvideodevice", "virtualcamera", "obsvirtual"}
)

// Virtual reports whether id is a known virtual camera.
func Virtual(id Identity) bool {
	drv, card := squash(id.Driver), squash(id.Card)
	bus := strings.ToLower(id.BusInfo)
	return slices.Contains(virtualDrivers, drv) ||
		slices.ContainsFunc(virtualBuses, func(b string) bool { return strings.HasPrefix(bus, b) }) ||
		slices.ContainsFunc(virtualCards, func(c string) bool { return strings.Contains(card, c) })
}

// squash lower-cases s and drops spaces, dashes and underscores.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_', '\t':
			return -1
		}
		return r
	}, strings.ToLower(s))
}
