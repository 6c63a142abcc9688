package kiosk

// CameraIdentity is the camera the session's frames came from, as the
// evidence records it: the USB ids and what the driver reports of the
// device. It names a device model and a port, not a person. It has the
// fields of camera.Identity, so main converts one to the other.
type CameraIdentity struct {
	VendorID  string `json:"vendor_id"`  // USB idVendor ("046d"); "" when not a USB camera
	ProductID string `json:"product_id"` // USB idProduct ("0825")
	Driver    string `json:"driver"`     // "uvcvideo"; "synthetic" or "folder" for the demo sources
	Card      string `json:"card"`       // the driver's name for the device
	BusInfo   string `json:"bus_info"`   // the port, e.g. "usb-0000:00:14.0-2"
}
