package camera

import "errors"

// Errors of the V4L2 source, for errors.Is: the kiosk shows each as its own
// out-of-service reason.
var (
	// ErrNoCamera: no video capture device, or none with the configured
	// path or bus info.
	ErrNoCamera = errors.New("no camera found")
	// ErrBusy: another program holds the camera (EBUSY).
	ErrBusy = errors.New("camera busy")
	// ErrDisconnected: the camera went away (unplugged, USB reset); the
	// source keeps reopening it by its bus info and frames resume when it
	// returns.
	ErrDisconnected = errors.New("camera disconnected")
	// ErrUnsupportedFormat: the camera offers neither MJPEG nor YUYV.
	ErrUnsupportedFormat = errors.New("camera has no supported pixel format (MJPEG or YUYV)")
	// ErrNoFrames: the camera is open but sends nothing.
	ErrNoFrames = errors.New("camera sends no frames")
	// ErrBadFrames: every frame has failed to decode for a while.
	ErrBadFrames = errors.New("camera frames do not decode")
)
