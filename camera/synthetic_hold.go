package camera

import (
	"image"
	"image/color"
)

// Holder is a source a picture can be held up to: the demo's stand-in for
// staff showing a ticket on a phone or on paper (`signkiosk probe` holds one
// up to measure how soon the idle screen reads it).
type Holder interface {
	// Hold shows pic in front of the camera until Hold(nil).
	Hold(pic image.Image)
}

// heldShare is how much of the frame's height a held picture covers: a
// ticket held 30–50 cm from the camera, as DESIGN.md's reading distance.
const heldShare = 0.6

// Hold implements Holder: from the next frame on, pic is drawn over the
// scene's centre at heldShare of the frame's height, nearest-neighbour
// scaled; nil takes it away.
func (s *Synthetic) Hold(pic image.Image) {
	var held *image.RGBA
	if pic != nil {
		held = scaleHeld(pic, s.W, s.H)
	}
	s.mu.Lock()
	s.held = held
	s.mu.Unlock()
}

// scaleHeld is pic scaled to heldShare of an w×h frame's height (its width
// capped to the frame's), as RGBA.
func scaleHeld(pic image.Image, w, h int) *image.RGBA {
	b := pic.Bounds()
	if b.Dx() == 0 || b.Dy() == 0 {
		return nil
	}
	th := int(float64(h) * heldShare)
	tw := th * b.Dx() / b.Dy()
	if tw > w {
		tw, th = w, w*b.Dy()/b.Dx()
	}
	out := image.NewRGBA(image.Rect(0, 0, max(tw, 1), max(th, 1)))
	for y := range out.Rect.Dy() {
		sy := b.Min.Y + (2*y+1)*b.Dy()/(2*out.Rect.Dy())
		for x := range out.Rect.Dx() {
			sx := b.Min.X + (2*x+1)*b.Dx()/(2*out.Rect.Dx())
			c := color.RGBAModel.Convert(pic.At(sx, sy)).(color.RGBA)
			i := out.PixOffset(x, y)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = c.R, c.G, c.B, 0xff
		}
	}
	return out
}

// drawHeld draws the held picture, if any, over img's centre.
func (s *Synthetic) drawHeld(img *image.RGBA) {
	s.mu.Lock()
	held := s.held
	s.mu.Unlock()
	if held == nil {
		return
	}
	x0, y0 := (s.W-held.Rect.Dx())/2, (s.H-held.Rect.Dy())/2
	for y := range held.Rect.Dy() {
		copy(img.Pix[img.PixOffset(x0, y0+y):], held.Pix[y*held.Stride:y*held.Stride+4*held.Rect.Dx()])
	}
}
