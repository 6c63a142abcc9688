package ui

import (
	"errors"

	"almatel.kz/signkiosk/camera"
)

// refusal is the camera policy's refusal in err, if any.
func refusal(err error) *camera.RefusedError {
	var re *camera.RefusedError
	if errors.As(err, &re) {
		return re
	}
	return nil
}

// cameraRefused says why the camera found is refused: the code's message
// (what the subscriber and staff do) and, for staff, which camera was found
// and what the config allows. "" when err is no refusal.
func (l loc) cameraRefused(err error) string {
	re := refusal(err)
	if re == nil {
		return ""
	}
	msg := l.Err(camera.ErrorCode(err))
	if errors.Is(re, camera.ErrVirtualCamera) {
		return msg + "\n" + l.T("camera.found_virtual", "Camera", re.Camera.String())
	}
	return msg + "\n" + l.T("camera.found_unlisted", "Camera", re.Camera.String(), "Allowed", re.Policy.String())
}
