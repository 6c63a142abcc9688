package camera

import (
	"context"
	"image"
	"math"
	"slices"
	"sync"
	"time"
)

// Synthetic draws frames for demo mode: a dim room and a procedurally drawn
// face that the face analysis (camera/face) detects, with its pupils. It is
// the demo's stand-in subscriber too: Act makes the next frames perform a
// liveness move at a person's pace (synthetic_act.go), and Capture calls it
// for each move of the provider's sequence (see Actor).
//
// Frames are drawn from a precomputed backdrop and face sprites (one per
// size and yaw step, drawn on first use), a copy and a blit: about half a
// millisecond at the demo's 640×480, one at 1280×720, most of it the copy.
type Synthetic struct {
	W, H  int
	Every time.Duration // frame period
	Clock Clock         // nil: the real clock

	mu      sync.Mutex
	closed  bool
	next    time.Time
	motion  motion  // the move being acted (synthetic_act.go)
	back    []uint8 // the backdrop's RGBA pixels
	sprites map[spriteKey]*faceSprite
	swept   time.Time   // when sprite last dropped the unused ones
	held    *image.RGBA // a picture held up to the camera (synthetic_hold.go)
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
	clk := clockOr(s.Clock)
	now := clk.Now()
	wait := s.next.Sub(now)
	if wait < 0 {
		wait = 0
		s.next = now
	}
	s.next = s.next.Add(s.Every)
	s.mu.Unlock()

	if wait > 0 {
		if err := clk.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	return sensorNoise(s.draw(0, clk.Now())), nil
}

// Close implements Source.
func (s *Synthetic) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

// draw draws the frame at t (n, a frame number, is not used: the motion
// and the bob follow the clock).
func (s *Synthetic) draw(_ int, t time.Time) *image.RGBA {
	// a clone, not NewRGBA and a copy: the pixels are written once, not
	// zeroed first
	img := &image.RGBA{Pix: slices.Clone(s.backdrop()), Stride: 4 * s.W, Rect: image.Rect(0, 0, s.W, s.H)}
	dx, k := s.placement(t)
	if k.side >= 8 {
		sp := s.sprite(k, t)
		bx, by := s.bob(t)
		cx := float64(s.W)/2 + dx*float64(k.side) + bx
		cy := float64(s.H)/2 + by
		sp.blit(img, int(math.Round(cx)), int(math.Round(cy)))
	}
	s.drawHeld(img)
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

// sprite returns the face k names at t, drawn on first use. A whole
// sequence of moves needs a few dozen (~20 MB at the demo's 640×480);
// sprites unused for spriteIdle are dropped, so a face at rest between
// sessions keeps one, and the cache starts over past maxSprites so nothing
// can grow it without bound.
func (s *Synthetic) sprite(k spriteKey, t time.Time) *faceSprite {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sprites == nil || len(s.sprites) >= maxSprites {
		s.sprites = map[spriteKey]*faceSprite{}
	}
	if t.Sub(s.swept) >= spriteIdle {
		for key, sp := range s.sprites {
			if t.Sub(sp.used) >= spriteIdle {
				delete(s.sprites, key)
			}
		}
		s.swept = t
	}
	sp, ok := s.sprites[k]
	if !ok {
		sp = drawFace(k.side, float64(k.yaw)/yawSteps*maxYaw)
		s.sprites[k] = sp
	}
	sp.used = t
	return sp
}

// faceSprite is a procedurally drawn face of box side s (the side of the
// square pigo reports), frontal or turned: RGB pixels and a coverage mask,
// drawn once per size and yaw and reused by every frame. It is shaped after
// what pico-style cascades compare: dark eye sockets and brows under a
// bright forehead, a bright nose bridge between the eyes, a dark mouth, a
// darker hairline and cheeks falling off toward the edge.
type faceSprite struct {
	w, h  int
	pix   []uint8   // RGBA, 4 bytes a pixel (alpha 255: coverage is mask)
	mask  []uint8   // 0..255 coverage
	solid [][2]int  // per row, the run [lo, hi) of fully covered pixels, copied whole
	used  time.Time // the last frame it drew (Synthetic.mu)
}

// faceShape are the proportions of the drawn face, in units of the box side.
type faceShape struct {
	headRx, headRy, fy, socket, light float64
}

// drawFace draws the demo face turned by yaw radians (+ = to the
// subscriber's left: the features toward the image's right); its shape was
// chosen by sweeping faceShape for the highest worst-case pigo score over
// frame sizes, scales and shifts.
func drawFace(s int, yaw float64) *faceSprite {
	narrow := headNarrow * math.Min(math.Abs(yaw)/maxYaw, 1)
	return drawFaceShape(s, faceShape{headRx: 0.42, headRy: 0.66, fy: -0.05, socket: 0.45, light: 0.55}, yaw, narrow)
}

// drawFaceShape draws the face as a sphere turned about its vertical axis:
// each pixel shows the point of the frontal face that the yaw brings there,
// so the features slide toward the turn and the far ones bunch up, while
// the light stays where the camera is. The head outline narrows by narrow
// (a fraction of its width).
func drawFaceShape(s int, f faceShape, yaw, narrow float64) *faceSprite {
	fs := float64(s)
	rx := f.headRx * (1 - narrow)
	rs := rx + 0.02  // the sphere the features lie on
	shadowX := 0.035 // the nose's shadow, on the side it turns to
	if yaw < 0 {
		shadowX = -shadowX
	}
	w, h := int(fs*1.1), int(fs*1.5)
	sp := &faceSprite{w: w, h: h, pix: make([]uint8, 4*w*h), mask: make([]uint8, w*h)}
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
			head := smooth(x, y, 0, 0.02, rx, f.headRy, 0.04)
			back := smooth(x, y, 0, -0.06, rx+0.08, f.headRy, 0.06) // hair framing the face
			if head == 0 && back == 0 {
				continue
			}
			i := py*w + px
			if head == 0 {
				g := 0.3 * (0.9 + 0.2*grain(px, py))
				sp.pix[4*i], sp.pix[4*i+1], sp.pix[4*i+2], sp.pix[4*i+3] = uint8(120*g), uint8(90*g), uint8(70*g), 255
				sp.mask[i] = uint8(back * 255)
				continue
			}
			// shading of a sphere lit from the front and a little above
			nx, ny := x/rs, (y+0.1)/(f.headRy+0.04)
			nz := math.Sqrt(math.Max(1-nx*nx-ny*ny, 0))
			l := 1 - f.light + f.light*nz
			// the frontal face's x that the turn brings to this pixel; past
			// the sphere's edge is the side of the head, in shadow
			th := math.Asin(math.Max(-1, math.Min(nx, 1))) - yaw
			l *= 1 - 0.6*math.Min(math.Max((math.Abs(th)-(math.Pi/2-0.15))/0.15, 0), 1)
			x = rs * math.Sin(math.Max(-math.Pi/2, math.Min(th, math.Pi/2)))
			y -= f.fy
			hair := smooth(x, y, 0, -0.5, 0.52, 0.26, 0.1)
			l *= 1 - 0.75*hair
			// the nose stands out of the sphere: it swings further
			xn := x - noseOut*math.Sin(yaw)
			for _, side := range []float64{-1, 1} {
				ex := side * 0.18
				l *= 1 - f.socket*smooth(x, y, ex, -0.07, 0.12, 0.07, 0.6)      // socket
				l *= 1 - 0.55*smooth(x, y, ex, -0.175, 0.11, 0.022, 0.5)        // brow
				l *= 1 + 0.35*smooth(x, y, ex, -0.075, 0.075, 0.03, 0.3)        // white of the eye
				l *= 1 - 0.8*smooth(x, y, ex, -0.075, 0.032, 0.032, 0.25)       // iris and pupil
				l *= 1 - 0.35*smooth(xn, y, side*0.045, 0.14, 0.03, 0.018, 0.5) // nostril
			}
			l *= 1 + 0.15*smooth(xn, y, 0, -0.02, 0.04, 0.14, 0.6)       // nose bridge
			l *= 1 - 0.25*smooth(xn, y, shadowX, 0.06, 0.018, 0.09, 0.8) // nose shadow
			l *= 1 - 0.6*smooth(x, y, 0, 0.265, 0.13, 0.028, 0.5)        // mouth
			// skin grain, so the face has the fine detail a sharp camera image has
			l = l*head + 0.3*(1-head) // the face's edge fades into the hair
			v := math.Min(l, 1.15) * (0.94 + 0.12*grain(px, py))
			sp.pix[4*i] = uint8(math.Min(232*v, 255))
			sp.pix[4*i+1] = uint8(math.Min(188*v, 255))
			sp.pix[4*i+2] = uint8(math.Min(160*v, 255))
			sp.pix[4*i+3] = 255
			sp.mask[i] = 255
		}
	}
	sp.findSolid()
	return sp
}

// findSolid records each row's run of fully covered pixels (the head is
// convex: one run, soft edges either side), so blit copies it whole.
func (sp *faceSprite) findSolid() {
	sp.solid = make([][2]int, sp.h)
	for y := range sp.h {
		row := sp.mask[y*sp.w : (y+1)*sp.w]
		lo := slices.Index(row, 255)
		if lo < 0 {
			continue
		}
		hi := lo
		for hi < len(row) && row[hi] == 255 {
			hi++
		}
		sp.solid[y] = [2]int{lo, hi}
	}
}

// blit draws sp centred at (cx, cy) onto img.
func (sp *faceSprite) blit(img *image.RGBA, cx, cy int) {
	x0, y0 := cx-sp.w/2, cy-sp.h/2
	b := img.Bounds()
	xa, xb := max(x0, b.Min.X), min(x0+sp.w, b.Max.X)
	if xa >= xb {
		return
	}
	for y := max(y0, b.Min.Y); y < min(y0+sp.h, b.Max.Y); y++ {
		sy := y - y0
		row := sp.pix[4*sy*sp.w : 4*(sy+1)*sp.w]
		// sprite columns [ja, jb) land on the image
		ja, jb := xa-x0, xb-x0
		dst := img.Pix[img.PixOffset(xa, y) : img.PixOffset(xb-1, y)+4]
		lo, hi := max(sp.solid[sy][0], ja), min(sp.solid[sy][1], jb)
		if lo < hi {
			copy(dst[4*(lo-ja):4*(hi-ja)], row[4*lo:4*hi])
		} else {
			lo, hi = jb, jb
		}
		blend := func(from, to int) {
			for j := from; j < to; j++ {
				m := uint32(sp.mask[sy*sp.w+j])
				if m == 0 {
					continue
				}
				o := dst[4*(j-ja) : 4*(j-ja)+3 : 4*(j-ja)+3]
				for k := range 3 {
					o[k] = uint8((uint32(row[4*j+k])*m + uint32(o[k])*(255-m)) / 255)
				}
			}
		}
		blend(ja, lo)
		blend(hi, jb)
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
