package ui

import (
	"image"
	"testing"
)

// centroid is the mean x of the pixels of img inside r that are mostly
// opaque and match is, and how many there are.
func centroid(img image.Image, r image.Rectangle, is func(r, g, b uint32) bool) (float64, int) {
	var sum float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, ca := img.At(x, y).RGBA()
			if ca > 0xC000 && is(cr, cg, cb) {
				sum += float64(x)
				n++
			}
		}
	}
	return sum / float64(max(n, 1)), n
}

func blue(r, g, b uint32) bool  { return b > r+0x3000 && b > g }
func ink(r, g, b uint32) bool   { return r < 0x4000 && g < 0x4000 && b < 0x5000 }
func green(r, g, b uint32) bool { return g > r+0x3000 && g > b }

// The move pictures point the way the subscriber sees the move on the
// mirrored preview: turning to their left moves their face toward the
// camera image's right (camera/face), so toward the preview's left — the
// "turn left" arrow points to the screen's left and the head's features
// slide that way inside its outline; "turn right" is the mirror; "come
// closer" has an arrow out of every corner; "done" is a green disc.
func TestMovePictures(t *testing.T) {
	const w, h = 240, 200
	all := image.Rect(0, 0, w, h)
	side := float64(min(w, h))
	ox := (w - side) / 2
	for _, c := range []struct {
		pic picture
		dir float64
	}{{picTurnLeft, -1}, {picTurnRight, 1}} {
		img := drawPicture(c.pic, w, h)
		ax, n := centroid(img, all, blue)
		if n == 0 || (ax-w/2)*c.dir < w/5 {
			t.Errorf("picture %d: the arrow's centre is at x=%.0f of %d (%d px), want toward %+.0f", c.pic, ax, w, n, c.dir)
		}
		// inside the head outline (centred at 0.5-dir*0.2 of the square),
		// the features sit toward the turn
		hx := ox + (0.5-c.dir*0.2)*side
		inner := image.Rect(int(hx-0.15*side), int(0.3*side), int(hx+0.15*side), int(0.7*side))
		fx, n := centroid(img, inner, ink)
		if n == 0 || (fx-hx)*c.dir < 2 {
			t.Errorf("picture %d: the features' centre is at x=%.1f, the head's at %.1f: want toward %+.0f", c.pic, fx, hx, c.dir)
		}
	}
	closer := drawPicture(picCloser, w, h)
	for _, q := range []image.Rectangle{image.Rect(0, 0, w/2, h/2), image.Rect(w/2, 0, w, h/2), image.Rect(0, h/2, w/2, h), image.Rect(w/2, h/2, w, h)} {
		if _, n := centroid(closer, q, blue); n < 50 {
			t.Errorf("come closer: no arrow in the quarter %v", q)
		}
	}
	if _, n := centroid(drawPicture(picDone, w, h), all, green); n < int(side*side/3) {
		t.Errorf("done: %d green pixels, want a disc", n)
	}
	for m, want := range map[string]picture{"turn_left": picTurnLeft, "turn_right": picTurnRight, "come_closer": picCloser, "blink": picLook} {
		if got := pictureOf(m); got != want {
			t.Errorf("pictureOf(%q) = %d, want %d", m, got, want)
		}
	}
}
