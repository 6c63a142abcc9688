//go:build linux

package camera

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"almatel.kz/signkiosk/camera/usbid"
)

// Identity is the node's identity (its USB ids as read from sysfs).
func (d DeviceInfo) Identity() Identity {
	return Identity{VendorID: d.VendorID, ProductID: d.ProductID, Driver: d.Driver, Card: d.Card, BusInfo: d.BusInfo}
}

// sysfsUSBIDs reads the USB ids of a /dev/videoN node under sysfs (the
// root, "/sys" on a kiosk): /sys/class/video4linux/videoN/device is the
// USB interface a UVC camera's node hangs off, and its parent the USB
// device, which holds idVendor and idProduct. Either is "" when not there
// (a virtual camera has no USB device) or not a valid id.
func sysfsUSBIDs(sysfs, devPath string) (vendor, product string) {
	node := filepath.Base(devPath)
	if !strings.HasPrefix(node, "video") {
		return "", ""
	}
	// Built by hand, not with filepath.Join: Join would clean "device/.."
	// away, and the kernel must resolve ".." from the link's target.
	dev := sysfs + "/class/video4linux/" + node + "/device"
	usb := dev
	if _, err := os.Stat(dev + "/idVendor"); err != nil {
		// Not the USB device itself: only its interface (which has
		// bInterfaceClass) may name its parent, never a hub above.
		if _, err := os.Stat(dev + "/bInterfaceClass"); err != nil {
			return "", ""
		}
		usb = dev + "/.."
	}
	v, vok := readHex4(usb + "/idVendor")
	p, pok := readHex4(usb + "/idProduct")
	if !vok || !pok {
		return "", ""
	}
	return v, p
}

// readHex4 reads a sysfs id file (a few bytes; more is not an id).
func readHex4(path string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	buf := make([]byte, 16)
	n, _ := f.Read(buf)
	v, err := usbid.ParseSysfs(buf[:n])
	if err != nil {
		return "", false
	}
	return fmt.Sprintf("%04x", v), true
}
