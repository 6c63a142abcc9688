package sim

import (
	"image"
	"math"

	"almatel.kz/signkiosk/camera"
	"almatel.kz/signkiosk/camera/face"
)

// Reasons of a biometric retry or fail that the frames themselves cause,
// judged with the kiosk's own face analysis (camera/face).
const (
	ReasonNoFace      = "no_face"      // a frame shows no face
	ReasonManyFaces   = "many_faces"   // a frame shows more than one face
	ReasonPoorQuality = "poor_quality" // a face too dark, too bright or blurred
	ReasonNotLive     = "not_live"     // one frame only, or faces that are not one continuous subject
)

// Consistency of the frames of one attempt: the kiosk sends a frame before
// the challenge, the best during it and the passing one, so the face moves
// (a turn shifts it ~0.3 face widths, coming closer grows it ~30 %) but
// stays one subject.
const (
	maxShift = 1.0 // largest centre distance from the first frame's face, in its widths
	maxRatio = 1.6 // largest width ratio to the first frame's face
)

// judgeFrames returns "" when the frames show one live, usable face, else
// the reason to retry.
func judgeFrames(a *face.Analyzer, frames []image.Image) string {
	if len(frames) < 2 {
		return ReasonNotLive
	}
	cfg := a.Config()
	var first image.Rectangle
	for i, img := range frames {
		an := a.Analyze(camera.Luma(img))
		switch {
		case an.Faces == 0:
			return ReasonNoFace
		case an.Faces > 1:
			return ReasonManyFaces
		case an.Brightness < cfg.Dark || an.Brightness > cfg.Bright || an.Sharpness < cfg.Blurred/2:
			// half the kiosk's blur threshold: frames taken mid-turn are softer
			return ReasonPoorQuality
		}
		if i == 0 {
			first = an.Box
			continue
		}
		w0, w := float64(first.Dx()), float64(an.Box.Dx())
		c0, c := first.Min.Add(first.Max), an.Box.Min.Add(an.Box.Max) // twice the centres
		if w/w0 > maxRatio || w0/w > maxRatio || math.Hypot(float64(c.X-c0.X), float64(c.Y-c0.Y))/2 > maxShift*w0 {
			return ReasonNotLive
		}
	}
	return ""
}
