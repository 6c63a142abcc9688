package camera

import (
	"image"
	"math"
)

// qrSeen is where the passes on a frame saw finder-like patterns: the box
// around them that a code must lie in, for the costly passes to look at.
type qrSeen struct {
	n              int     // centres seen
	x0, y0, x1, y1 float64 // their box, with margins
	msSum          float64 // their module sizes, summed
}

// A centre's box margin: half a finder pattern, the quiet zone and slack
// for a parallelogram's fourth corner under keystone. Around all of them
// the box is at least qrSeenMinSide modules across: a ticket's code is 93
// modules (version 19) plus its quiet zone, and a side of twice that
// holds it whichever of its finders were seen, at any angle.
const (
	qrSeenMargin  = 14
	qrSeenMinSide = 200
	// Above this share of the frame a crop saves too little to be worth it.
	qrSeenCropShare = 0.6
)

// centre adds a finder-like centre with its module size.
func (s *qrSeen) centre(x, y, ms float64) {
	ms = max(ms, 1)
	m := qrSeenMargin * ms
	if s.n == 0 {
		s.x0, s.y0, s.x1, s.y1 = x-m, y-m, x+m, y+m
	}
	s.n++
	s.msSum += ms
	s.x0, s.y0 = min(s.x0, x-m), min(s.y0, y-m)
	s.x1, s.y1 = max(s.x1, x+m), max(s.y1, y+m)
}

// add merges what another pass saw.
func (s *qrSeen) add(o qrSeen) {
	switch {
	case o.n == 0:
	case s.n == 0:
		*s = o
	default:
		s.n += o.n
		s.msSum += o.msSum
		s.x0, s.y0 = min(s.x0, o.x0), min(s.y0, o.y0)
		s.x1, s.y1 = max(s.x1, o.x1), max(s.y1, o.y1)
	}
}

// crop returns the part of g where the code must be, as a new image at
// (0,0), or g itself when that is most of it.
func (s qrSeen) crop(g *image.Gray) *image.Gray {
	if s.n == 0 {
		return g
	}
	side := qrSeenMinSide * s.msSum / float64(s.n)
	cx, cy := (s.x0+s.x1)/2, (s.y0+s.y1)/2
	hw, hh := max(s.x1-s.x0, side)/2, max(s.y1-s.y0, side)/2
	r := image.Rect(int(math.Floor(cx-hw)), int(math.Floor(cy-hh)), int(math.Ceil(cx+hw)), int(math.Ceil(cy+hh))).Intersect(g.Rect)
	if r.Dx() < 21 || r.Dy() < 21 || float64(r.Dx()*r.Dy()) > qrSeenCropShare*float64(g.Rect.Dx()*g.Rect.Dy()) {
		return g
	}
	return qrGray(g.SubImage(r))
}

// flattenRadius is qrFlatten's window for the module size seen: 1.5
// modules, so each window holds a light module.
func (s qrSeen) flattenRadius() int {
	return max(2, min(8, int(1.5*s.msSum/float64(max(1, s.n))+0.5)))
}
