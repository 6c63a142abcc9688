package camera

import (
	"fmt"
	"strings"
	"unicode"
)

// Identity names the camera a source reads: the USB ids from sysfs and
// what the driver says of itself (VIDIOC_QUERYCAP). The evidence records it
// and the allow-list (Policy) is checked against it. It is not personal
// data: it names a device model and a port, never a person.
type Identity struct {
	VendorID  string // USB idVendor, four lower-case hex digits; "" when the camera is not a USB device
	ProductID string // USB idProduct, likewise
	Driver    string // e.g. "uvcvideo"; "synthetic" and "folder" for the demo sources
	Card      string // the driver's name for the device, e.g. "HD Webcam C525"
	BusInfo   string // e.g. "usb-0000:00:14.0-2": the port it is plugged into
}

// USBID is "vvvv:pppp", or "" when the camera has no USB ids.
func (id Identity) USBID() string {
	if id.VendorID == "" || id.ProductID == "" {
		return ""
	}
	return id.VendorID + ":" + id.ProductID
}

// String is the identity for logs and staff: `"HD Webcam C525" (046d:0825,
// driver uvcvideo, bus usb-0000:00:14.0-2)`.
func (id Identity) String() string {
	usb := id.USBID()
	if usb == "" {
		usb = "no USB id"
	}
	s := fmt.Sprintf("%q (%s, driver %s", id.Card, usb, id.Driver)
	if id.BusInfo != "" {
		s += ", bus " + id.BusInfo
	}
	return s + ")"
}

// Identifier is a Source that can name the camera it reads.
type Identifier interface {
	Identity() Identity
}

// IdentityOf is src's camera, or the zero Identity when src cannot tell
// (a V4L2 camera not opened yet).
func IdentityOf(src Source) Identity {
	if i, ok := src.(Identifier); ok {
		return i.Identity()
	}
	return Identity{}
}

// Identities of the sources that are not cameras: said plainly, so
// evidence from a demo is never mistaken for a real camera's.
var (
	SyntheticIdentity = Identity{Driver: "synthetic", Card: "signkiosk synthetic subscriber"}
	FolderIdentity    = Identity{Driver: "folder", Card: "signkiosk picture folder"}
)

// Identity implements Identifier.
func (s *Synthetic) Identity() Identity { return SyntheticIdentity }

// Identity implements Identifier.
func (f *Folder) Identity() Identity { return FolderIdentity }

// Identity implements Identifier: the opened source's, zero before.
func (r *Reopening) Identity() Identity {
	r.mu.Lock()
	src := r.src
	r.mu.Unlock()
	if src == nil {
		return Identity{}
	}
	return IdentityOf(src)
}

// Identity implements Identifier: the shared source's.
func (h *Hub) Identity() Identity { return IdentityOf(h.src) }

// Identity implements Identifier.
func (r *hubReader) Identity() Identity { return r.h.Identity() }

// Identity is the camera the capture reads.
func (c Capturer) Identity() Identity { return IdentityOf(c.Source) }

// printable keeps a driver-given name fit for logs, screens and JSON: valid
// UTF-8 without control characters (a card label is settable by whoever
// loads a loopback module).
func printable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}
