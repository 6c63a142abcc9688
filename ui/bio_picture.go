package ui

import (
	"image"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
)

// picture is a pictogram on the biometrics screen: a move to make, a move
// made, or a step of the sequence.
type picture int

// Pictures. Left and right are as the subscriber sees them: the preview is
// a mirror (camera/face: turning to one's left moves the face toward the
// camera image's right, so toward the mirrored preview's left), so "turn
// left" shows a head looking to the screen's left and an arrow pointing
// there.
const (
	picNone      picture = iota
	picLook              // a head looking at the camera (get ready)
	picTurnLeft          // a head turned to the screen's left, an arrow pointing left
	picTurnRight         // the same to the right
	picCloser            // a head with arrows pointing out from each corner: it grows
	picDone              // a white tick on a green disc
	dotPending           // a step still to come: a grey ring
	dotCurrent           // the step running: a blue ring round a blue dot
	dotDone              // a step done: a small tick on green
)

// pictureOf is the picture of a move (a session/provider move name).
func pictureOf(move string) picture {
	switch move {
	case "turn_left":
		return picTurnLeft
	case "turn_right":
		return picTurnRight
	case "come_closer":
		return picCloser
	}
	return picLook
}

// pictogram shows a picture drawn at the screen's pixel size, anti-aliased,
// redrawn only when the picture or the size changes.
type pictogram struct {
	pic    picture
	raster *canvas.Raster
}

func newPictogram(size fyne.Size) *pictogram {
	p := &pictogram{}
	var cached image.Image
	var cw, ch int
	var cpic picture
	p.raster = canvas.NewRaster(func(w, h int) image.Image {
		if cached == nil || w != cw || h != ch || p.pic != cpic {
			cached, cw, ch, cpic = drawPicture(p.pic, w, h), w, h, p.pic
		}
		return cached
	})
	p.raster.SetMinSize(size)
	p.raster.Hide() // picNone
	return p
}

// set shows pic (UI thread).
func (p *pictogram) set(pic picture) {
	if pic == p.pic {
		return
	}
	p.pic = pic
	if pic == picNone {
		p.raster.Hide()
		return
	}
	p.raster.Show()
	p.raster.Refresh()
}

var (
	picInk   = colInk
	picArrow = colPrimary
	picGood  = color.NRGBA{0x2E, 0xA0, 0x5A, 0xFF}
	picMuted = color.NRGBA{0xB4, 0xBC, 0xC8, 0xFF}
	picWhite = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
)

// shape is one part of a pictogram in unit coordinates (the picture's
// shorter side is 1, its centre at (0.5, 0.5)): a signed distance (< 0
// inside) and a colour.
type shape struct {
	dist func(x, y float64) float64
	col  color.NRGBA
}

// drawPicture paints pic on a transparent w×h image.
func drawPicture(pic picture, w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, max(w, 1), max(h, 1)))
	shapes := pictureShapes(pic)
	if len(shapes) == 0 {
		return img
	}
	side := float64(min(w, h))
	ox, oy := (float64(w)-side)/2, (float64(h)-side)/2
	px := 1 / side // one pixel in unit coordinates: the anti-aliased edge
	for y := range h {
		for x := range w {
			u, v := (float64(x)+0.5-ox)/side, (float64(y)+0.5-oy)/side
			var r, g, b, a float64 // premultiplied, 0..1
			for _, s := range shapes {
				c := math.Min(math.Max(0.5-s.dist(u, v)/px, 0), 1)
				if c == 0 {
					continue
				}
				sa := c * float64(s.col.A) / 255
				r = float64(s.col.R)/255*sa + r*(1-sa)
				g = float64(s.col.G)/255*sa + g*(1-sa)
				b = float64(s.col.B)/255*sa + b*(1-sa)
				a = sa + a*(1-sa)
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(r / a * 255), uint8(g / a * 255), uint8(b / a * 255), uint8(a * 255)})
		}
	}
	return img
}

func pictureShapes(pic picture) []shape {
	switch pic {
	case picLook:
		return head(0.5, 0.5, 0, picInk)
	case picTurnLeft:
		return turn(-1)
	case picTurnRight:
		return turn(1)
	case picCloser:
		s := head(0.5, 0.5, 0, picInk)
		for _, c := range [][2]float64{{-1, -1}, {1, -1}, {-1, 1}, {1, 1}} {
			s = append(s, arrow(0.5+c[0]*0.27, 0.5+c[1]*0.27, 0.5+c[0]*0.47, 0.5+c[1]*0.47, 0.04, 0.12, picArrow)...)
		}
		return s
	case picDone:
		return append([]shape{{disc(0.5, 0.5, 0.42), picGood}}, tick(0.5, 0.5, 0.42, picWhite)...)
	case dotPending:
		return []shape{{ring(0.5, 0.5, 0.36, 0.36, 0.08), picMuted}}
	case dotCurrent:
		return []shape{{ring(0.5, 0.5, 0.38, 0.38, 0.1), picArrow}, {disc(0.5, 0.5, 0.17), picArrow}}
	case dotDone:
		return append([]shape{{disc(0.5, 0.5, 0.44), picGood}}, tick(0.5, 0.5, 0.44, picWhite)...)
	}
	return nil
}

// turn is a head turned toward dir (-1: the screen's left) and a long arrow
// on that side pointing that way.
func turn(dir float64) []shape {
	s := head(0.5-dir*0.2, 0.5, dir, picInk)
	return append(s, arrow(0.5+dir*0.06, 0.5, 0.5+dir*0.57, 0.5, 0.05, 0.16, picArrow)...)
}

// head is an outline of a head at (cx, cy) with eyes, nose and mouth
// looking toward look (-1 left, 0 at the camera, 1 right).
func head(cx, cy, look float64, c color.NRGBA) []shape {
	fx := cx + look*0.06 // the features slide toward the turn
	s := []shape{
		{ring(cx, cy, 0.2*(1-0.08*math.Abs(look)), 0.26, 0.035), c},
		{disc(fx-0.07, cy-0.05, 0.026), c},
		{disc(fx+0.07, cy-0.05, 0.026), c},
		{capsule(fx+look*0.01, cy-0.01, fx+look*0.06, cy+0.07, 0.016), c},
		{capsule(fx-0.055+look*0.01, cy+0.13, fx+0.055+look*0.01, cy+0.13, 0.016), c},
	}
	if look == 0 {
		s[3] = shape{capsule(fx, cy-0.01, fx, cy+0.07, 0.016), c}
	}
	return s
}

// arrow is a shaft from (x0, y0) to a head at (x1, y1) (its tip).
func arrow(x0, y0, x1, y1, thick, headLen float64, c color.NRGBA) []shape {
	dx, dy := x1-x0, y1-y0
	n := math.Hypot(dx, dy)
	ux, uy := dx/n, dy/n
	bx, by := x1-ux*headLen, y1-uy*headLen // the head's base
	half := headLen * 0.75
	return []shape{
		{capsule(x0, y0, bx+ux*thick, by+uy*thick, thick/2), c},
		{triangle([3][2]float64{{x1, y1}, {bx - uy*half, by + ux*half}, {bx + uy*half, by - ux*half}}), c},
	}
}

// tick is a check mark inside a disc of radius r at (cx, cy).
func tick(cx, cy, r float64, c color.NRGBA) []shape {
	t := r * 0.16
	return []shape{
		{capsule(cx-0.48*r, cy+0.02*r, cx-0.14*r, cy+0.36*r, t/2), c},
		{capsule(cx-0.14*r, cy+0.36*r, cx+0.5*r, cy-0.32*r, t/2), c},
	}
}

func disc(cx, cy, r float64) func(x, y float64) float64 {
	return func(x, y float64) float64 { return math.Hypot(x-cx, y-cy) - r }
}

// ring is an ellipse's outline of thickness t (the distance is
// approximate off the circle, exact enough for a line a few pixels wide).
func ring(cx, cy, rx, ry, t float64) func(x, y float64) float64 {
	return func(x, y float64) float64 {
		k := math.Hypot((x-cx)/rx, (y-cy)/ry)
		return math.Abs((k-1)*min(rx, ry)) - t/2
	}
}

func capsule(x0, y0, x1, y1, r float64) func(x, y float64) float64 {
	return func(x, y float64) float64 {
		dx, dy := x1-x0, y1-y0
		h := math.Min(math.Max(((x-x0)*dx+(y-y0)*dy)/(dx*dx+dy*dy), 0), 1)
		return math.Hypot(x-x0-dx*h, y-y0-dy*h) - r
	}
}

// triangle is a filled triangle (either winding): the largest signed
// distance to its edges' lines.
func triangle(p [3][2]float64) func(x, y float64) float64 {
	area := (p[1][0]-p[0][0])*(p[2][1]-p[0][1]) - (p[2][0]-p[0][0])*(p[1][1]-p[0][1])
	sign := 1.0
	if area < 0 {
		sign = -1
	}
	return func(x, y float64) float64 {
		d := math.Inf(-1)
		for i := range 3 {
			a, b := p[i], p[(i+1)%3]
			ex, ey := b[0]-a[0], b[1]-a[1]
			// the cross product has the area's sign on the inner side
			cross := ex*(y-a[1]) - ey*(x-a[0])
			d = math.Max(d, -sign*cross/math.Hypot(ex, ey))
		}
		return d
	}
}
