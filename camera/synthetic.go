package camera

import (
	"context"
	"image"
	"math"
	"sync"
	"time"
)

// Synthetic draws frames for demo mode: a dim room and a procedurally drawn
// face that the face analysis (camera/face) detects, with its pupils. It is
// the demo's stand-in subscriber too: Act makes the next frames perform a
// liveness challenge, and Capture calls it (see Actor).
//
// Frames are drawn from a precomputed backdrop and face sprites, a copy and
// a blit: well under a millisecond at 1280×720 after the first frames.
type Synthetic struct {
	W, H  int
	Every time.Duration // frame period
	Clock Clock         // nil: the real clock

	mu      sync.Mutex
	n       int
	closed  bool
	next    time.Time
	act     string    // the challenge being acted, "" for none
	actAt   time.Time // when it started
	back    []uint8   // the backdrop's RGBA pixels
	sprites map[int]*faceSprite
}

// Acting: a turn moves the face sideways by turnShift of its width (what
// face.Check keys on) and a closer face grows by closerGrow; the move ramps
// in over actRamp, holds until actHold after it began and eases back over
// actEase, so actFor in all, unless the capture ends it first (Act("")).
//
// The move is timed by the clock, as a person's is, not by frames: however
// slowly frames are analysed, the pose is reached within actRamp and held
// for several seconds, long enough for a slow analysis (a loaded machine:
// a few frames a second or fewer) to see it on the frames face.Check needs,
// and still inside the capture's 6 s limit.
const (
	actRamp    = 400 * time.Millisecond
	actHold    = 4 * time.Second
	actEase    = 500 * time.Millisecond
	actFor     = actHold + actEase
	turnShift  = 0.30
	closerGrow = 0.35
	faceSide   = 0.5 // the face box's side over the frame height at rest
)

// NewSynthetic makes a w×h source at fps frames a second.
func NewSynthetic(w, h, fps int) *Synthetic {
	return &Synthetic{W: w, H: h, Every: time.Second / time.Duration(fps)}
}

// Act makes the next frames perform challenge ("turn_left", "turn_right"
// from the subscriber's point of view, "come_closer") for up to actFor;
// "" ends the act: the face is at rest on the next frame, as the next
// attempt's check expects it when asked; other values are ignored. It
// implements Actor.
func (s *Synthetic) Act(challenge string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch challenge {
	case "turn_left", "turn_right", "come_closer":
		s.act, s.actAt = challenge, clockOr(s.Clock).Now()
	case "":
		s.act = ""
	}
}

// Read implements Source.
func (s *Synthetic) Read(ctx context.Context) (image.Image, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	clk := clockOr(s.Clock)
	now := clk.Now()
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
		if err := clk.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	return s.draw(n, clk.Now()), nil
}

// Close implements Source.
func (s *Synthetic) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

// pose is where the face is at t: its centre offset (in face widths, + =
// image right = the subscriber's left) and its scale.
func (s *Synthetic) pose(t time.Time) (dx, scale float64) {
	s.mu.Lock()
	act, at, end := s.act, s.actAt, s.actAt.Add(actHold)
	s.mu.Unlock()
	scale = 1
	if act == "" || t.Before(at) || !t.Before(end.Add(actEase)) {
		return 0, 1
	}
	// into the pose (as far as it got before the end), then back
	upTo := t
	if t.After(end) {
		upTo = end
	}
	amount := min(float64(upTo.Sub(at))/float64(actRamp), 1)
	if t.After(end) {
		amount *= 1 - float64(t.Sub(end))/float64(actEase)
	}
	switch act {
	case "turn_left":
		dx = turnShift * amount
	case "turn_right":
		dx = -turnShift * amount
	case "come_closer":
		// in steps of 5 %, so a few sprites serve every frame
		scale = 1 + math.Round(closerGrow*amount*20)/20
	}
	return dx, scale
}

// placement is the face's offset (as pose's) and its sprite's side at t.
func (s *Synthetic) placement(t time.Time) (dx float64, side int) {
	dx, scale := s.pose(t)
	return dx, int(math.Round(faceSide * float64(s.H) * scale))
}

func (s *Synthetic) draw(n int, t time.Time) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, s.W, s.H))
	copy(img.Pix, s.backdrop())
	dx, side := s.placement(t)
	if side < 8 {
		return img
	}
	sp := s.sprite(side)
	// a slight bob keeps the preview alive without moving the face sideways
	bob := math.Sin(float64(n)/20) * 0.01 * float64(s.H)
	cx := float64(s.W)/2 + dx*float64(side)
	cy := float64(s.H)/2 + bob
	sp.blit(img, int(math.Round(cx)), int(math.Round(cy)))
	return img
}

// backdrop is a dim wall, lighter toward the top, drawn once.
func (s *Synthetic) backdrop() []uint8 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.back == nil {
		b := make([]uint8, 4*s.W*s.H)
		for y := range s.H {
			r, g, bl := uint8(70-30*y/s.H), uint8(78-30*y/s.H), uint8(96-30*y/s.H)
			for x := range s.W {
				i := 4 * (y*s.W + x)
				b[i], b[i+1], b[i+2], b[i+3] = r, g, bl, 255
			}
		}
		s.back = b
	}
	return s.back
}

// sprite returns the face of box side side, drawn on first use.
func (s *Synthetic) sprite(side int) *faceSprite {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sprites == nil {
		s.sprites = map[int]*faceSprite{}
	}
	sp, ok := s.sprites[side]
	if !ok {
		sp = drawFace(side)
		s.sprites[side] = sp
	}
	return sp
}

// faceSprite is a procedurally drawn frontal face of box side s (the side
// of the square pigo reports): RGBA premultiplied pixels and a coverage
// mask, drawn once per size and reused by every frame. It is shaped after
// what pico-style cascades compare: dark eye sockets and brows under a
// bright forehead, a bright nose bridge between the eyes, a dark mouth, a
// darker hairline and cheeks falling off toward the edge.
type faceSprite struct {
	w, h int
	rgb  []uint8 // 3 bytes a pixel
	mask []uint8 // 0..255 coverage
}

// faceShape are the proportions of the drawn face, in units of the box side.
type faceShape struct {
	headRx, headRy, fy, socket, light float64
}

// drawFace draws the demo face; its shape was chosen by sweeping faceShape
// for the highest worst-case pigo score over frame sizes, scales and shifts.
func drawFace(s int) *faceSprite {
	return drawFaceShape(s, faceShape{headRx: 0.42, headRy: 0.66, fy: -0.05, socket: 0.45, light: 0.55})
}

func drawFaceShape(s int, f faceShape) *faceSprite {
	fs := float64(s)
	w, h := int(fs*1.1), int(fs*1.5)
	sp := &faceSprite{w: w, h: h, rgb: make([]uint8, 3*w*h), mask: make([]uint8, w*h)}
	cx, cy := float64(w)/2, float64(h)*0.5
	// smooth returns 1 inside an ellipse, fading to 0 over its edge.
	smooth := func(x, y, ex, ey, rx, ry, soft float64) float64 {
		dx, dy := (x-ex)/rx, (y-ey)/ry
		d := math.Sqrt(dx*dx + dy*dy)
		return math.Min(math.Max((1+soft-d)/soft, 0), 1)
	}
	for py := range h {
		for px := range w {
			// coordinates in units of the box side, origin at the box centre
			x, y := (float64(px)+0.5-cx)/fs, (float64(py)+0.5-cy)/fs
			head := smooth(x, y, 0, 0.02, f.headRx, f.headRy, 0.04)
			back := smooth(x, y, 0, -0.06, f.headRx+0.08, f.headRy, 0.06) // hair framing the face
			if head == 0 && back == 0 {
				continue
			}
			i := py*w + px
			if head == 0 {
				g := 0.3 * (0.9 + 0.2*grain(px, py))
				sp.rgb[3*i], sp.rgb[3*i+1], sp.rgb[3*i+2] = uint8(120*g), uint8(90*g), uint8(70*g)
				sp.mask[i] = uint8(back * 255)
				continue
			}
			// shading of a sphere lit from the front and a little above
			nx, ny := x/(f.headRx+0.02), (y+0.1)/(f.headRy+0.04)
			nz := math.Sqrt(math.Max(1-nx*nx-ny*ny, 0))
			l := 1 - f.light + f.light*nz
			y -= f.fy
			hair := smooth(x, y, 0, -0.5, 0.52, 0.26, 0.1)
			l *= 1 - 0.75*hair
			for _, side := range []float64{-1, 1} {
				ex := side * 0.18
				l *= 1 - f.socket*smooth(x, y, ex, -0.07, 0.12, 0.07, 0.6)     // socket
				l *= 1 - 0.55*smooth(x, y, ex, -0.175, 0.11, 0.022, 0.5)       // brow
				l *= 1 + 0.35*smooth(x, y, ex, -0.075, 0.075, 0.03, 0.3)       // white of the eye
				l *= 1 - 0.8*smooth(x, y, ex, -0.075, 0.032, 0.032, 0.25)      // iris and pupil
				l *= 1 - 0.35*smooth(x, y, side*0.045, 0.14, 0.03, 0.018, 0.5) // nostril
			}
			l *= 1 + 0.15*smooth(x, y, 0, -0.02, 0.04, 0.14, 0.6)     // nose bridge
			l *= 1 - 0.25*smooth(x, y, 0.035, 0.06, 0.018, 0.09, 0.8) // nose shadow
			l *= 1 - 0.6*smooth(x, y, 0, 0.265, 0.13, 0.028, 0.5)     // mouth
			// skin grain, so the face has the fine detail a sharp camera image has
			l = l*head + 0.3*(1-head) // the face's edge fades into the hair
			v := math.Min(l, 1.15) * (0.94 + 0.12*grain(px, py))
			sp.rgb[3*i] = uint8(math.Min(232*v, 255))
			sp.rgb[3*i+1] = uint8(math.Min(188*v, 255))
			sp.rgb[3*i+2] = uint8(math.Min(160*v, 255))
			sp.mask[i] = 255
		}
	}
	return sp
}

// blit draws sp centred at (cx, cy) onto img.
func (sp *faceSprite) blit(img *image.RGBA, cx, cy int) {
	x0, y0 := cx-sp.w/2, cy-sp.h/2
	b := img.Bounds()
	for y := max(y0, b.Min.Y); y < min(y0+sp.h, b.Max.Y); y++ {
		srow := (y - y0) * sp.w
		drow := img.PixOffset(0, y)
		for x := max(x0, b.Min.X); x < min(x0+sp.w, b.Max.X); x++ {
			i := srow + x - x0
			m := uint32(sp.mask[i])
			if m == 0 {
				continue
			}
			d := img.Pix[drow+4*x : drow+4*x+3 : drow+4*x+3]
			for k := range 3 {
				d[k] = uint8((uint32(sp.rgb[3*i+k])*m + uint32(d[k])*(255-m)) / 255)
			}
		}
	}
}

// grain is a fixed pseudo-random value in [0, 1) for a pixel.
func grain(x, y int) float64 {
	h := uint32(x)*0x9E3779B1 ^ uint32(y)*0x85EBCA77
	h ^= h >> 15
	h *= 0x2C1B3C6D
	h ^= h >> 12
	return float64(h&0xFFFF) / 65536
}
