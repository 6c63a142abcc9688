package face

// Rest is a subscriber's pose at rest, what moves are measured from: the
// kiosk's Check and the provider simulator's judgement measure a move the
// same way, so a move the kiosk saw is one the provider sees.
type Rest struct {
	x    float64 // pupil midpoint x (box centre x without pupils in every frame)
	boxX float64 // box centre x
	w    float64 // box width
	span float64 // pupil distance, when eyes
	eyes bool    // every rest frame had both pupils
}

// NewRest averages the rest pose over frames; ok is false when they are
// none or one has no single face.
func NewRest(frames ...Analysis) (r Rest, ok bool) {
	if len(frames) == 0 {
		return Rest{}, false
	}
	r.eyes = true
	for _, b := range frames {
		if b.Faces != 1 || b.Box.Dx() <= 0 {
			return Rest{}, false
		}
		r.eyes = r.eyes && b.Eyes
	}
	n := float64(len(frames))
	for _, b := range frames {
		r.x += pointX(b, r.eyes) / n
		r.boxX += pointX(b, false) / n
		r.w += float64(b.Box.Dx()) / n
		r.span += span(b) / n
	}
	return r, true
}

// Width is the rest face's width in pixels.
func (r Rest) Width() float64 { return r.w }

// Measure returns how far an has moved from the rest pose: turn is the
// sideways shift of the pupils' midpoint (of the box centre when either
// lacks pupils) over the rest face width, + toward the subscriber's left;
// grow is the pupils' distance (the box width without pupils) over the
// rest's, minus 1.
func (r Rest) Measure(an Analysis) (turn, grow float64) {
	eyes := r.eyes && an.Eyes
	if eyes && r.span > 0 {
		grow = span(an)/r.span - 1
	} else {
		grow = float64(an.Box.Dx())/r.w - 1
	}
	x := r.boxX
	if eyes {
		x = r.x
	}
	return (pointX(an, eyes) - x) / r.w, grow
}

// Toward is how far an has gone toward move (1 = the mark Check passes
// at): ChallengeTurnLeft, ChallengeTurnRight or ChallengeComeCloser; 0
// for others.
func (r Rest) Toward(an Analysis, move string) float64 {
	turn, grow := r.Measure(an)
	switch move {
	case ChallengeTurnLeft:
		return turn / turnBy
	case ChallengeTurnRight:
		return -turn / turnBy
	case ChallengeComeCloser:
		return grow / closerBy
	}
	return 0
}
