package sim

import (
	"image"
	"math"

	"almatel.kz/signkiosk/app/provider"
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

// Consistency of the frames of one attempt: the kiosk sends a frame at rest
// and, per move, the best during it and the passing one, so the face moves
// (a turn shifts it ~0.3 face widths, coming closer grows it ~30 %) but
// stays one subject.
const (
	maxShift = 1.0 // largest centre distance from the first frame's face, in its widths
	maxRatio = 1.6 // largest width ratio to the first frame's face
)

// seenAt is the fraction of the kiosk's mark (face.Rest.Toward = 1) at
// which the simulator counts a move as made. The kiosk passes a move at its
// mark, held, against the average of its rest frames; the simulator has one
// rest frame, seen again through JPEG, whose pupils' distance alone wanders
// by ±6 % (a third of the closer mark) between frames of a still face.
const seenAt = 0.6

// judgeAttempt returns "" when the frames show one live, usable face
// performing moves in order, else the reason to retry. The first frame is
// the pose at rest; every move is measured from it, as the kiosk measures.
func judgeAttempt(a *face.Analyzer, frames []image.Image, moves []string) string {
	ans, reason := judgeFrames(a, frames)
	if reason != "" {
		return reason
	}
	return judgeMoves(ans, moves)
}

// judgeFrames analyses the frames and returns their analyses, or the
// reason they show no live, usable face.
func judgeFrames(a *face.Analyzer, frames []image.Image) ([]face.Analysis, string) {
	if len(frames) < 2 {
		return nil, ReasonNotLive
	}
	cfg := a.Config()
	ans := make([]face.Analysis, 0, len(frames))
	var first image.Rectangle
	for i, img := range frames {
		an := a.Analyze(camera.Luma(img))
		switch {
		case an.Faces == 0:
			return nil, ReasonNoFace
		case an.Faces > 1:
			return nil, ReasonManyFaces
		case an.Brightness < cfg.Dark || an.Brightness > cfg.Bright || an.Sharpness < cfg.Blurred/2:
			// half the kiosk's blur threshold: frames taken mid-turn are softer
			return nil, ReasonPoorQuality
		}
		ans = append(ans, an)
		if i == 0 {
			first = an.Box
			continue
		}
		w0, w := float64(first.Dx()), float64(an.Box.Dx())
		c0, c := first.Min.Add(first.Max), an.Box.Min.Add(an.Box.Max) // twice the centres
		if w/w0 > maxRatio || w0/w > maxRatio || math.Hypot(float64(c.X-c0.X), float64(c.Y-c0.Y))/2 > maxShift*w0 {
			return nil, ReasonNotLive
		}
	}
	return ans, ""
}

// judgeMoves finds, for each move asked, the first frame that shows it
// (measured from the rest pose, the first frame) and wants them in the
// order asked, each in a later frame than the one before. Moves not asked
// are not judged: a subscriber leaning in while turning is still turning.
func judgeMoves(ans []face.Analysis, moves []string) string {
	rest, ok := face.NewRest(ans[0])
	if !ok {
		return ReasonNoFace
	}
	first := make(map[string]int, len(moves))
	for i, an := range ans[1:] {
		for _, m := range moves {
			if _, done := first[m]; !done && rest.Toward(an, m) >= seenAt {
				first[m] = i
			}
		}
	}
	for _, m := range moves {
		if _, ok := first[m]; !ok {
			return provider.ReasonMovesNotSeen
		}
	}
	for i := 1; i < len(moves); i++ {
		if first[moves[i]] <= first[moves[i-1]] {
			return provider.ReasonWrongOrder
		}
	}
	return ""
}
