package sim

import (
	"image"
	"math"
	"slices"

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

// Consistency of the frames of one attempt: the kiosk sends its frames at
// rest and, per move, the best during it and the passing one, so the face moves
// (a turn shifts it ~0.3 face widths, coming closer grows it ~30 %) but
// stays one subject.
const (
	maxShift = 1.0 // largest centre distance from the first frame's face, in its widths
	maxRatio = 1.6 // largest width ratio to the first frame's face
)

// seenAt is the fraction of the kiosk's mark (face.Rest.Toward = 1) at
// which the simulator counts a move as made. The kiosk passes a move at its
// mark, held, against the average of its rest frames; the simulator
// averages the same frames, but sees every frame again through JPEG, which
// moves a pupil by a pixel or two.
const seenAt = 0.6

// maxRest is the most frames at rest a submission starts with: the kiosk's
// baseline (face.RestFrames) is up to three.
const maxRest = 3

// restFrames returns how many frames at rest the submission starts with;
// ok is false unless it is 1 to maxRest, with none later. (Frames at rest
// alone are well formed: they are judged, and show no move.)
func restFrames(frames []provider.Frame) (n int, ok bool) {
	for n < len(frames) && frames[n].Rest {
		n++
	}
	for _, f := range frames[n:] {
		if f.Rest {
			return 0, false
		}
	}
	return n, n >= 1 && n <= maxRest
}

// judgeAttempt returns "" when the frames show one live, usable face
// performing moves in order, else the reason to retry. The first nRest
// frames are the pose at rest; every move is measured from their average,
// as the kiosk measures.
func judgeAttempt(a *face.Analyzer, frames []image.Image, nRest int, moves []string) string {
	ans, reason := judgeFrames(a, frames)
	if reason != "" {
		return reason
	}
	return judgeMoves(ans, nRest, moves)
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

// judgeMoves wants the moves asked performed in order: each seen (measured
// from the average of the first nRest frames, the pose at rest) in a frame
// after the one that showed the move before it. A move seen only earlier
// is in the wrong order; one never seen was not made. Moves not asked are
// not judged: a subscriber leaning in while turning is still turning.
func judgeMoves(ans []face.Analysis, nRest int, moves []string) string {
	rest, ok := face.NewRest(ans[:nRest]...)
	if !ok {
		return ReasonNoFace
	}
	after := nRest // the first frame the next move may be seen in
	for _, m := range moves {
		at := slices.IndexFunc(ans[after:], func(an face.Analysis) bool { return rest.Toward(an, m) >= seenAt })
		if at < 0 {
			if slices.ContainsFunc(ans[nRest:after], func(an face.Analysis) bool { return rest.Toward(an, m) >= seenAt }) {
				return provider.ReasonWrongOrder
			}
			return provider.ReasonMovesNotSeen
		}
		after += at + 1
	}
	return ""
}
