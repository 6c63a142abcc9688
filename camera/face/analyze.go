// Package face analyses camera frames for the biometric step: it finds faces
// with pigo's cascades (pure Go), measures the one in view (size, centring,
// light, sharpness, pupils, head yaw), turns that into one guidance code for
// the subscriber, and checks the active liveness challenges on a face track.
//
// Directions are those of the unmirrored camera image: the camera faces the
// subscriber, so the subscriber's left is the image's right (+x). The UI
// mirrors its preview; nothing here does.
package face

import (
	"cmp"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"slices"

	pigo "github.com/esimov/pigo/core"

	"almatel.kz/signkiosk/assets"
)

// Analysis is what one frame shows. Coordinates are the frame's.
type Analysis struct {
	Faces      int             // faces in view after merging overlapping detections
	Box        image.Rectangle // the best-scoring face; empty when Faces == 0
	Score      float64         // its summed cascade score
	Size       float64         // box side over the frame's shorter side
	OffX, OffY float64         // box centre minus frame centre, over the frame's width / height (+ = right / down)
	Brightness float64         // mean luma inside the box, 0..255
	Sharpness  float64         // variance of the Laplacian inside the box, sampled at ~96 px across
	Eyes       bool            // both pupils found at plausible places
	Pupils     [2]image.Point  // image-left then image-right pupil, when Eyes
	Yaw        float64         // pupil midpoint minus box centre, over the box side (+ = subscriber's left); 0 without Eyes
	Guidance   string          // one of the codes in Guidances
}

// Analyzer finds and measures faces. It is safe for concurrent use: the
// parsed cascades are read-only, pigo keeps its scratch in sync.Pools and
// math/rand's functions are safe.
type Analyzer struct {
	cfg  Config
	face *pigo.Pigo
	pupl *puploc
	rnd  func() float32 // the pupil locator's perturbations: math/rand's, as pigo's
}

// NewAnalyzer parses the embedded cascades; zero fields of cfg take defaults.
func NewAnalyzer(cfg Config) (*Analyzer, error) {
	f, err := pigo.NewPigo().Unpack(assets.FaceFinder())
	if err != nil {
		return nil, fmt.Errorf("face: facefinder cascade: %w", err)
	}
	p, err := parsePuploc(assets.PupilLocator())
	if err != nil {
		return nil, fmt.Errorf("face: %w", err)
	}
	return &Analyzer{cfg: cfg.withDefaults(), face: f, pupl: p, rnd: rand.Float32}, nil
}

// Config returns the thresholds in use (defaults filled in).
func (a *Analyzer) Config() Config { return a.cfg }

// Analyze measures g, a frame's luma (e.g. camera.Luma of a YCbCr frame: no
// copy). g is only read.
func (a *Analyzer) Analyze(g *image.Gray) Analysis {
	b := g.Bounds()
	var an Analysis
	if b.Dx() < 16 || b.Dy() < 16 {
		an.Guidance = NoFace
		return an
	}
	params := pigo.ImageParams{Pixels: g.Pix[g.PixOffset(b.Min.X, b.Min.Y):], Rows: b.Dy(), Cols: b.Dx(), Dim: g.Stride}
	dets := a.detect(params, min(b.Dx(), b.Dy()))
	an.Faces = len(dets)
	if an.Faces == 0 {
		an.Guidance = NoFace
		return an
	}
	best := dets[0]
	for _, d := range dets[1:] {
		if d.Q > best.Q {
			best = d
		}
	}
	half := best.Scale / 2
	an.Box = image.Rect(best.Col-half, best.Row-half, best.Col+half, best.Row+half).Add(b.Min).Intersect(b)
	an.Score = float64(best.Q)
	an.Size = float64(best.Scale) / float64(min(b.Dx(), b.Dy()))
	c := centre(an.Box)
	an.OffX = (c.X - (float64(b.Min.X) + float64(b.Dx())/2)) / float64(b.Dx())
	an.OffY = (c.Y - (float64(b.Min.Y) + float64(b.Dy())/2)) / float64(b.Dy())
	an.Brightness, an.Sharpness = measure(g, an.Box)
	a.pupils(params, best, b.Min, &an)
	an.Guidance = a.guide(an)
	return an
}

// detect runs the cascade and keeps merged faces scoring at least MinScore.
func (a *Analyzer) detect(p pigo.ImageParams, short int) []pigo.Detection {
	cp := pigo.CascadeParams{
		MinSize:     max(int(a.cfg.MinFace*float64(short)), 20),
		MaxSize:     max(int(a.cfg.MaxFace*float64(short)), 24),
		ShiftFactor: a.cfg.Shift,
		ScaleFactor: a.cfg.Scale,
		ImageParams: p,
	}
	raw := a.face.RunCascade(cp, 0)
	merged := a.face.ClusterDetections(raw, a.cfg.IoU)
	// IoU clustering can leave one face as two boxes of different scales,
	// one nested in the other; a second face's centre is never inside the
	// first's box, so absorb those before counting faces.
	slices.SortFunc(merged, func(x, y pigo.Detection) int { return cmp.Compare(y.Q, x.Q) })
	var out []pigo.Detection
next:
	for _, d := range merged {
		for i, k := range out {
			if abs(d.Row-k.Row) < k.Scale/2 && abs(d.Col-k.Col) < k.Scale/2 {
				out[i].Q += d.Q
				continue next
			}
		}
		out = append(out, d)
	}
	kept := out[:0]
	for _, d := range out {
		if float64(d.Q) >= a.cfg.MinScore {
			kept = append(kept, d)
		}
	}
	return kept
}

func abs(x int) int { return max(x, -x) }

// pupils runs puploc at pigo's usual eye offsets inside the face and keeps
// the result only when the two pupils sit where eyes can be.
func (a *Analyzer) pupils(p pigo.ImageParams, d pigo.Detection, origin image.Point, an *Analysis) {
	s := float64(d.Scale)
	// 63 perturbations, as pigo's examples and the thresholds were tuned with.
	at := func(dx float64) image.Point {
		row, col := a.pupl.locate(d.Row-int(0.075*s), d.Col+int(dx*s), float32(s*0.25), 63, a.rnd, p)
		if row <= 0 || col <= 0 {
			return image.Pt(-1, -1)
		}
		return image.Pt(col, row)
	}
	l, r := at(-0.175), at(0.185)
	if l.X < 0 || r.X < 0 {
		return
	}
	span := float64(r.X-l.X) / s
	top, bottom := float64(d.Row)-0.45*s, float64(d.Row)+0.15*s
	for _, e := range []image.Point{l, r} {
		if float64(e.Y) < top || float64(e.Y) > bottom || math.Abs(float64(e.X-d.Col)) > 0.45*s {
			return
		}
	}
	if span < a.cfg.PupilSpan || span > a.cfg.PupilSpanX || math.Abs(float64(r.Y-l.Y)) > 0.2*s {
		return
	}
	an.Eyes = true
	an.Pupils = [2]image.Point{l.Add(origin), r.Add(origin)}
	mid := float64(l.X+r.X) / 2
	an.Yaw = (mid - float64(d.Col)) / s
}

func (a *Analyzer) guide(an Analysis) string {
	c := a.cfg
	switch {
	case an.Faces == 0:
		return NoFace
	case an.Faces > 1:
		return ManyFaces
	case an.Size < c.Small:
		return ComeCloser
	case an.Size > c.Large:
		return MoveBack
	case math.Abs(an.OffX) > c.OffCentre || math.Abs(an.OffY) > c.OffCentre:
		return Center
	case an.Brightness < c.Dark:
		return MoreLight
	case an.Brightness > c.Bright:
		return LessLight
	case an.Sharpness < c.Blurred:
		return HoldStill
	case !an.Eyes:
		return LookAtCamera
	}
	return OK
}

func centre(r image.Rectangle) struct{ X, Y float64 } {
	return struct{ X, Y float64 }{float64(r.Min.X+r.Max.X) / 2, float64(r.Min.Y+r.Max.Y) / 2}
}
