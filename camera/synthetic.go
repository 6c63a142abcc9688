package camera

import (
	"context"
	"image"
	"image/color"
	"math"
	"sync"
	"time"
)

// Synthetic draws frames for demo mode: a lit backdrop and a face-like oval
// that drifts a little, so the preview moves and capture has pixels. It is
// not a face for any detector; the real analysis comes with the camera issue.
type Synthetic struct {
	W, H  int
	Every time.Duration // frame period

	mu     sync.Mutex
	n      int
	closed bool
	next   time.Time
}

// NewSynthetic makes a w×h source at fps frames a second.
func NewSynthetic(w, h, fps int) *Synthetic {
	return &Synthetic{W: w, H: h, Every: time.Second / time.Duration(fps)}
}

// Read implements Source.
func (s *Synthetic) Read(ctx context.Context) (image.Image, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	now := time.Now()
	wait := s.next.Sub(now)
	if wait < 0 {
		wait = 0
		s.next = now
	}
	s.next = s.next.Add(s.Every)
	s.n++
	n := s.n
	s.mu.Unlock()

	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	return s.draw(n), nil
}

// Close implements Source.
func (s *Synthetic) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

func (s *Synthetic) draw(n int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, s.W, s.H))
	phase := float64(n) / 30
	cx := float64(s.W)/2 + math.Sin(phase)*float64(s.W)/20
	cy := float64(s.H) / 2
	rx, ry := float64(s.W)/7, float64(s.H)/4
	skin := color.RGBA{224, 182, 150, 255}
	for y := 0; y < s.H; y++ {
		bg := color.RGBA{uint8(60 + 80*y/s.H), uint8(90 + 60*y/s.H), 120, 255}
		row := img.Pix[y*img.Stride:]
		for x := 0; x < s.W; x++ {
			dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
			c := bg
			if dx*dx+dy*dy <= 1 {
				c = skin
				// eyes and mouth, so the oval reads as a face on screen
				ex, ey := math.Abs(dx)-0.4, dy+0.25
				if ex*ex+ey*ey < 0.012 || (math.Abs(dx) < 0.35 && math.Abs(dy-0.45) < 0.04) {
					c = color.RGBA{60, 40, 40, 255}
				}
			}
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = c.R, c.G, c.B, 255
		}
	}
	return img
}
