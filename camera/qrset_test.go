package camera

// The issue-5 QR test set: real tickets encoded by go-qrcode and by the
// qrencode tool, placed into 1280×720 webcam frames (a phone screen or a
// printed sheet held up to the kiosk) and sent through JPEG like MJPEG.
//
// The "kiosk-readable" envelope the set stays inside, since a frame outside
// it is not a fault of the decoder:
//   - the whole code with its 4-module quiet zone is inside the frame;
//   - every edge of the code is at least 2.2 px per module (a phone at arm's
//     length); the largest codes are ~7.4 px per module (the frame's height);
//   - keystone (the code's plane turned away from the camera) up to 20°;
//   - Gaussian blur up to σ 1.5 px (a webcam slightly out of focus);
//   - lighting down to a third of full on one side, dark/light contrast
//     down to ~60 grey levels;
//   - sensor noise up to σ 12 grey levels, JPEG quality 30–90.
// Each category stresses one of these on top of a mild base (and "mixed"
// several at once), so the per-category rate shows where a decoder fails.

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	qrSetW, qrSetH   = 1280, 720
	qrSetSeed        = 20261124
	qrSetPerCat      = 30 // frames per category
	qrSetTickets     = 10 // distinct tickets per encoder
	qrSetNegatives   = 12 // frames without a code: the idle scanner's miss
	qrSetMinPitch    = 2.2
	qrSetRaceSubset  = 5  // under -race, every 5th frame
	qrSetShortSubset = 29 // under -short (make test), every 29th: one frame of each category, both encoders; make test-long runs the whole set
)

var qrSetCategories = []string{
	"base", "small", "large", "rotation", "perspective",
	"blur", "lighting", "noise", "jpeg", "mixed",
}

// qrTexture is one encoder's crisp picture of a ticket: black modules on
// white, with the encoder's own 4-module quiet zone.
type qrTexture struct {
	enc     string
	text    string
	img     *image.Gray
	px      int // texture pixels per module
	modules int // modules across, quiet zone included
}

// qrFrameParams describes how one frame shows its code.
type qrFrameParams struct {
	pitch        float64 // px per module at the code's centre, before keystone
	rotate       float64 // degrees in the code's plane
	tiltX, tiltY float64 // degrees the plane turns away from the camera
	blur         float64 // Gaussian σ, px
	gainMin      float64 // lighting on the darkest side, 1 = even
	light, dark  float64 // grey levels of white and black modules under full light
	noise        float64 // Gaussian σ, grey levels
	quality      int     // JPEG
	phone        bool    // a phone screen with a dark bezel, else a sheet of paper
	glare        int     // bright spots on the code (a glossy screen or sleeve)
	moire        float64 // depth of a phone screen's moiré bands, 0–1
}

type qrSample struct {
	name, cat, enc string
	text           string // "" for a frame without a code
	params         qrFrameParams
	minPitch       float64 // shortest projected edge / modules
	img            image.Image
	tex            *qrTexture
	h              [9]float64 // texture → frame
}

// qrSetRace is whether the test binary has the race detector, which makes
// rendering and decoding ~10× slower: then only a subset runs.
func qrSetRace() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// qrSetTextures encodes qrSetTickets tickets (ids from the seed) with
// go-qrcode and, when the binary is there, with qrencode.
func qrSetTextures(t testing.TB, rng *rand.Rand) (goqr, qrenc []qrTexture) {
	t.Helper()
	bin, _ := exec.LookPath("qrencode")
	for i := range qrSetTickets {
		var id [16]byte
		for j := range id {
			id[j] = byte(rng.IntN(256))
		}
		id[6], id[8] = id[6]&0x0f|0x40, id[8]&0x3f|0x80
		tid := fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:])
		text := ticketWithID(t, tid)

		q := testQR(t, text)
		px := 2 + i%3
		n := len(q.Bitmap())
		goqr = append(goqr, qrTexture{enc: "go-qrcode", text: text, img: qrToGray(q.Image(n * px)), px: px, modules: n})

		if bin == "" {
			continue
		}
		out, err := exec.Command(bin, "-o", "-", "-t", "PNG", "-l", "M", "-s", strconv.Itoa(px), text).Output()
		if err != nil {
			t.Fatalf("qrencode: %v", err)
		}
		img, err := png.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("qrencode output: %v", err)
		}
		g := qrToGray(img)
		qrenc = append(qrenc, qrTexture{enc: "qrencode", text: text, img: g, px: px, modules: g.Rect.Dx() / px})
	}
	return goqr, qrenc
}

func qrToGray(img image.Image) *image.Gray {
	return qrGray(img)
}

// qrSetParams draws one frame's parameters: a mild base, then the
// category's stress.
func qrSetParams(rng *rand.Rand, cat string) qrFrameParams {
	u := func(a, b float64) float64 { return a + (b-a)*rng.Float64() }
	p := qrFrameParams{
		pitch:   u(2.6, 6),
		rotate:  u(-8, 8),
		blur:    u(0.3, 0.6),
		gainMin: u(0.85, 1),
		light:   u(200, 235),
		dark:    u(25, 50),
		noise:   u(1, 3),
		quality: 70 + rng.IntN(21),
		phone:   rng.IntN(2) == 0,
	}
	tilt := func(maxDeg float64) {
		a, m := u(0, 2*math.Pi), u(maxDeg/2, maxDeg)
		p.tiltX, p.tiltY = m*math.Cos(a), m*math.Sin(a)
	}
	switch cat {
	case "small":
		p.pitch = u(qrSetMinPitch, 3)
	case "large":
		p.pitch = u(5.5, 7.6) // the fit to the frame caps it
	case "rotation":
		if rng.IntN(3) == 0 {
			p.rotate = float64(90*rng.IntN(4)) + u(-1, 1)
		} else {
			p.rotate = u(0, 360)
		}
	case "perspective":
		tilt(20)
	case "blur":
		p.blur = u(0.8, 1.5)
		p.pitch = u(3, 6)
	case "lighting":
		p.gainMin = u(0.35, 0.6)
		p.light, p.dark = u(150, 190), u(60, 90)
	case "noise":
		p.noise = u(6, 12)
	case "jpeg":
		p.quality = 30 + rng.IntN(21)
	case "mixed":
		p.pitch = u(2.5, 5)
		p.rotate = u(0, 360)
		tilt(12)
		p.blur = u(0.5, 1.0)
		p.gainMin = u(0.5, 0.9)
		p.light, p.dark = u(170, 230), u(30, 80)
		p.noise = u(3, 6)
		p.quality = 40 + rng.IntN(41)
	}
	return p
}

// qrHomography maps texture pixels (u, v, 1) to frame pixels for p, with
// the texture's centre at (ox, oy). A webcam at 720p has a focal length
// of ~900 px (70° across).
func qrHomography(tex qrTexture, p qrFrameParams, ox, oy float64) [9]float64 {
	const f = 900.0
	k := p.pitch / float64(tex.px)
	c := float64(tex.img.Rect.Dx()) / 2
	ra := p.rotate * math.Pi / 180
	// In-plane: scale, centre, rotate. Columns give X and Y of (u, v, 1).
	cr, sr := math.Cos(ra), math.Sin(ra)
	a := [2][3]float64{
		{k * cr, -k * sr, -k * c * (cr - sr)},
		{k * sr, k * cr, -k * c * (sr + cr)},
	}
	ax, ay := p.tiltX*math.Pi/180, p.tiltY*math.Pi/180
	// R = Rx·Ry; the plane point is (X, Y, 0), placed at depth f.
	cx, sx, cy, sy := math.Cos(ax), math.Sin(ax), math.Cos(ay), math.Sin(ay)
	r := [3][2]float64{
		{cy, 0},
		{sx * sy, cx},
		{-cx * sy, sx},
	}
	var m [3][3]float64 // P = m·(u, v, 1)
	for i := range 3 {
		for j := range 3 {
			m[i][j] = r[i][0]*a[0][j] + r[i][1]*a[1][j]
		}
	}
	m[2][2] += f
	// Frame = K·P with K = [[f 0 ox] [0 f oy] [0 0 1]].
	return [9]float64{
		f*m[0][0] + ox*m[2][0], f*m[0][1] + ox*m[2][1], f*m[0][2] + ox*m[2][2],
		f*m[1][0] + oy*m[2][0], f*m[1][1] + oy*m[2][1], f*m[1][2] + oy*m[2][2],
		m[2][0], m[2][1], m[2][2],
	}
}

func qrApply(h [9]float64, u, v float64) (x, y float64) {
	w := h[6]*u + h[7]*v + h[8]
	return (h[0]*u + h[1]*v + h[2]) / w, (h[3]*u + h[4]*v + h[5]) / w
}

func qrInvert(h [9]float64) [9]float64 {
	a, b, c, d, e, f, g, hh, i := h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]
	det := a*(e*i-f*hh) - b*(d*i-f*g) + c*(d*hh-e*g)
	return [9]float64{
		(e*i - f*hh) / det, (c*hh - b*i) / det, (b*f - c*e) / det,
		(f*g - d*i) / det, (a*i - c*g) / det, (c*d - a*f) / det,
		(d*hh - e*g) / det, (b*g - a*hh) / det, (a*e - b*d) / det,
	}
}

// qrCorners returns the frame positions of the texture's corners.
func qrCorners(h [9]float64, size float64) [4][2]float64 {
	var out [4][2]float64
	for i, c := range [4][2]float64{{0, 0}, {size, 0}, {size, size}, {0, size}} {
		out[i][0], out[i][1] = qrApply(h, c[0], c[1])
	}
	return out
}

// qrFit places the code in the frame inside the envelope: it shrinks a
// code that does not fit, grows one whose shortest edge is under the
// minimum pitch, and reports false when both cannot hold.
func qrFit(rng *rand.Rand, tex qrTexture, p *qrFrameParams) (h [9]float64, minPitch float64, ok bool) {
	size := float64(tex.img.Rect.Dx())
	const margin = 4
	for range 60 {
		h = qrHomography(tex, *p, 0, 0)
		cs := qrCorners(h, size)
		minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		minPitch = math.Inf(1)
		for i, c := range cs {
			minX, maxX = min(minX, c[0]), max(maxX, c[0])
			minY, maxY = min(minY, c[1]), max(maxY, c[1])
			n := cs[(i+1)%4]
			minPitch = min(minPitch, math.Hypot(n[0]-c[0], n[1]-c[1])/float64(tex.modules))
		}
		if maxX-minX > qrSetW-2*margin || maxY-minY > qrSetH-2*margin {
			p.pitch *= 0.97
			continue
		}
		if minPitch < qrSetMinPitch {
			p.pitch *= 1.03
			continue
		}
		ox := margin - minX + rng.Float64()*(qrSetW-2*margin-(maxX-minX))
		oy := margin - minY + rng.Float64()*(qrSetH-2*margin-(maxY-minY))
		return qrHomography(tex, *p, ox, oy), minPitch, true
	}
	return h, minPitch, false
}

// qrBackground paints a room behind the code: smooth shading and a few
// flat objects with edges, different per frame.
func qrBackground(rng *rand.Rand) []float64 {
	bg := make([]float64, qrSetW*qrSetH)
	fx, fy := 20+rng.Float64()*40, 15+rng.Float64()*30
	ph := rng.Float64() * 6
	base := 90 + rng.Float64()*60
	for y := range qrSetH {
		for x := range qrSetW {
			bg[y*qrSetW+x] = base + 40*math.Sin(float64(x)/fx+ph)*math.Cos(float64(y)/fy)
		}
	}
	for range 3 + rng.IntN(4) {
		x0, y0 := rng.IntN(qrSetW), rng.IntN(qrSetH)
		x1, y1 := min(qrSetW, x0+50+rng.IntN(400)), min(qrSetH, y0+50+rng.IntN(300))
		v := 20 + rng.Float64()*200
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				bg[y*qrSetW+x] = v
			}
		}
	}
	return bg
}

// qrRender draws tex through h onto bg, then lighting, blur, noise and JPEG.
func qrRender(t testing.TB, rng *rand.Rand, tex *qrTexture, p qrFrameParams, h [9]float64, bg []float64) image.Image {
	t.Helper()
	img := bg
	if tex != nil {
		hi := qrInvert(h)
		size := float64(tex.img.Rect.Dx())
		mod := float64(tex.px)
		// The carrier around the code: paper extends 8 modules; a phone
		// screen 2 modules of white, then 4 of black bezel.
		white, bezel := 8*mod, 8*mod
		if p.phone {
			white, bezel = 2*mod, 6*mod
		}
		cs := qrCorners(h, size)
		minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, c := range cs {
			minX, maxX = min(minX, c[0]), max(maxX, c[0])
			minY, maxY = min(minY, c[1]), max(maxY, c[1])
		}
		screen := func(x, y float64) float64 { return 1 }
		if p.moire > 0 {
			screen = qrMoire(rng, p.moire)
		}
		grow := (bezel / mod) * p.pitch * 1.6
		x0, x1 := max(0, int(minX-grow)), min(qrSetW, int(maxX+grow)+1)
		y0, y1 := max(0, int(minY-grow)), min(qrSetH, int(maxY+grow)+1)
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				var sum float64
				inside := 0
				for s := range 4 { // 2×2 supersampling
					fxp := float64(x) + 0.25 + 0.5*float64(s%2)
					fyp := float64(y) + 0.25 + 0.5*float64(s/2)
					u, v := qrApply(hi, fxp, fyp)
					d := max(-u, -v, u-size, v-size) // distance outside the code, texture px
					switch {
					case d < 0:
						sum += screen(fxp, fyp) * (p.dark + (p.light-p.dark)*float64(tex.img.Pix[int(v)*tex.img.Stride+int(u)])/255)
						inside++
					case d < white:
						sum += screen(fxp, fyp) * p.light
						inside++
					case d < bezel:
						sum += 15
						inside++
					default:
						sum += bg[y*qrSetW+x]
					}
				}
				if inside > 0 {
					img[y*qrSetW+x] = sum / 4
				}
			}
		}
	}
	// Lighting: a ramp across the frame in a random direction.
	if p.gainMin < 1 {
		a := rng.Float64() * 2 * math.Pi
		dx, dy := math.Cos(a), math.Sin(a)
		span := math.Abs(dx)*qrSetW + math.Abs(dy)*qrSetH
		off := min(0, dx*qrSetW) + min(0, dy*qrSetH)
		for y := range qrSetH {
			for x := range qrSetW {
				s := (dx*float64(x) + dy*float64(y) - off) / span
				img[y*qrSetW+x] *= p.gainMin + (1-p.gainMin)*s
			}
		}
	}
	if tex != nil {
		for range p.glare {
			qrGlare(rng, img, h, float64(tex.img.Rect.Dx()), p.pitch)
		}
	}
	img = qrBlur(img, p.blur)
	g := image.NewGray(image.Rect(0, 0, qrSetW, qrSetH))
	for i, v := range img {
		g.Pix[i] = uint8(max(0, min(255, math.Round(v+p.noise*rng.NormFloat64()))))
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, g, &jpeg.Options{Quality: p.quality}); err != nil {
		t.Fatal(err)
	}
	out, err := jpeg.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// qrMoire returns the brightness a phone screen shows through a webcam at
// each frame point: the screen's pixel grid beats with the sensor's into
// two crossed bands of 6–30 px, `depth` deep at their darkest.
func qrMoire(rng *rand.Rand, depth float64) func(x, y float64) float64 {
	type band struct{ kx, ky, ph float64 }
	var bs [2]band
	a := rng.Float64() * math.Pi
	for i := range bs {
		period := 6 + 24*rng.Float64()
		t := a + float64(i)*math.Pi/2 + (rng.Float64()-0.5)*0.3
		bs[i] = band{2 * math.Pi * math.Cos(t) / period, 2 * math.Pi * math.Sin(t) / period, rng.Float64() * 2 * math.Pi}
	}
	return func(x, y float64) float64 {
		var s float64
		for _, b := range bs {
			s += 0.5 + 0.5*math.Cos(b.kx*x+b.ky*y+b.ph)
		}
		return 1 - depth*s/2
	}
}

// qrGlare adds one reflection of a lamp (on a glossy screen or a plastic
// sleeve) somewhere on the code: a spot or a tube's streak, a Gaussian
// 1.5–4 modules across and 1.5–12 along whose middle blows out to white,
// in a halo four times as wide that washes the dark modules out to grey.
func qrGlare(rng *rand.Rand, img []float64, h [9]float64, size, pitch float64) {
	cx, cy := qrApply(h, size*(0.1+0.8*rng.Float64()), size*(0.1+0.8*rng.Float64()))
	across := (1.5 + 2.5*rng.Float64()) * pitch
	along := across * (1 + 2*rng.Float64())
	if rng.IntN(2) == 0 {
		along = across
	}
	a := rng.Float64() * math.Pi
	ca, sa := math.Cos(a), math.Sin(a)
	peak := 200 + 150*rng.Float64()
	halo := 0.3 + 0.3*rng.Float64()
	r := int(3 * 4 * along)
	for y := max(0, int(cy)-r); y < min(qrSetH, int(cy)+r+1); y++ {
		for x := max(0, int(cx)-r); x < min(qrSetW, int(cx)+r+1); x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			u, v := dx*ca+dy*sa, -dx*sa+dy*ca
			d := u*u/(2*along*along) + v*v/(2*across*across)
			img[y*qrSetW+x] += peak * (math.Exp(-d) + halo*math.Exp(-d/16))
		}
	}
}

// qrBlur is a separable Gaussian blur of a qrSetW×qrSetH image.
func qrBlur(img []float64, sigma float64) []float64 {
	if sigma <= 0 {
		return img
	}
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var ks float64
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		ks += k[i]
	}
	for i := range k {
		k[i] /= ks
	}
	tmp := make([]float64, len(img))
	for y := range qrSetH {
		row := img[y*qrSetW : (y+1)*qrSetW]
		for x := range qrSetW {
			var s float64
			for i, w := range k {
				s += w * row[min(qrSetW-1, max(0, x+i-r))]
			}
			tmp[y*qrSetW+x] = s
		}
	}
	out := make([]float64, len(img))
	for y := range qrSetH {
		for x := range qrSetW {
			var s float64
			for i, w := range k {
				s += w * tmp[min(qrSetH-1, max(0, y+i-r))*qrSetW+x]
			}
			out[y*qrSetW+x] = s
		}
	}
	return out
}

// qrSetSpec names a seeded set: its categories and how a frame of each is drawn.
type qrSetSpec struct {
	seed   uint64
	cats   []string
	params func(*rand.Rand, string) qrFrameParams
}

// qrSetIssue5 is the issue-5 set, inside the kiosk-readable envelope.
var qrSetIssue5 = qrSetSpec{seed: qrSetSeed, cats: qrSetCategories, params: qrSetParams}

// qrTestSet builds the issue-5 set; every `step`-th frame only, for a
// representative subset.
func qrTestSet(t testing.TB, step int) (set []qrSample, haveQrencode bool) {
	return qrBuildSet(t, qrSetIssue5, step)
}

// qrBuildSet renders spec's set (every `step`-th frame) on all cores.
func qrBuildSet(t testing.TB, spec qrSetSpec, step int) (set []qrSample, haveQrencode bool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(spec.seed, 5))
	goqr, qrenc := qrSetTextures(t, rng)
	type job struct {
		s    qrSample
		tex  *qrTexture
		h    [9]float64
		seed uint64
	}
	var jobs []job
	i := 0
	for _, cat := range spec.cats {
		for j := range qrSetPerCat {
			texs := goqr
			if j%2 == 1 && qrenc != nil {
				texs = qrenc
			}
			tex := &texs[(i/2)%len(texs)]
			p := spec.params(rng, cat)
			h, pitch, ok := qrFit(rng, *tex, &p)
			if !ok {
				t.Fatalf("%s %d: cannot fit the envelope: %+v", cat, j, p)
			}
			seed := rng.Uint64()
			i++
			if (i-1)%step != 0 {
				continue
			}
			jobs = append(jobs, job{
				s: qrSample{
					name: fmt.Sprintf("%s-%02d-%s", cat, j, tex.enc), cat: cat, enc: tex.enc,
					text: tex.text, params: p, minPitch: pitch,
				},
				tex: tex, h: h, seed: seed,
			})
		}
	}
	for j := range qrSetNegatives {
		p := spec.params(rng, "mixed")
		seed := rng.Uint64()
		if j%max(1, step/2) != 0 {
			continue
		}
		jobs = append(jobs, job{s: qrSample{name: fmt.Sprintf("none-%02d", j), cat: "none", params: p}, seed: seed})
	}
	set = make([]qrSample, len(jobs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for k := range next {
				jb := jobs[k]
				r := rand.New(rand.NewPCG(jb.seed, 9))
				jb.s.img = qrRender(t, r, jb.tex, jb.s.params, jb.h, qrBackground(r))
				jb.s.tex, jb.s.h = jb.tex, jb.h
				set[k] = jb.s
			}
		})
	}
	for k := range jobs {
		next <- k
	}
	close(next)
	wg.Wait()
	return set, qrenc != nil
}

// qrTally counts decodes per category and keeps per-frame times.
type qrTally struct {
	cats  []string
	n, ok map[string]int
	hit   []time.Duration
	miss  []time.Duration
}

func newQRTally(cats []string) *qrTally {
	return &qrTally{cats: cats, n: map[string]int{}, ok: map[string]int{}}
}

func (q *qrTally) add(s qrSample, got bool, d time.Duration) {
	for _, k := range []string{s.cat, "enc:" + s.enc, "all"} {
		if s.cat == "none" && k != s.cat {
			continue
		}
		q.n[k]++
		if got {
			q.ok[k]++
		}
	}
	if got && s.cat != "none" {
		q.hit = append(q.hit, d)
	} else if !got {
		q.miss = append(q.miss, d)
	}
}

func (q *qrTally) rate(k string) float64 { return float64(q.ok[k]) / float64(max(1, q.n[k])) }

func (q *qrTally) line(k string) string {
	return fmt.Sprintf("%-14s %3d/%3d %5.1f %%", k, q.ok[k], q.n[k], 100*q.rate(k))
}

func qrStats(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	return fmt.Sprintf("mean %.1f ms, median %.1f, p90 %.1f, max %.1f (n=%d)",
		ms(sum/time.Duration(len(s))), ms(s[len(s)/2]), ms(s[len(s)*9/10]), ms(s[len(s)-1]), len(s))
}

func (q *qrTally) log(t *testing.T, who string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s:\n", who)
	for _, k := range append(slices.Clone(q.cats), "enc:go-qrcode", "enc:qrencode", "all", "none") {
		if q.n[k] > 0 {
			fmt.Fprintf(&b, "  %s\n", q.line(k))
		}
	}
	fmt.Fprintf(&b, "  time on a hit:  %s\n  time on a miss: %s", qrStats(q.hit), qrStats(q.miss))
	t.Log(b.String())
}

// TestDecodeQRSet is the issue's acceptance figure: DecodeQR reads at
// least 95 % of the set. The set is seeded, so the rate is deterministic.
// Under -race every 5th frame runs, under -short every 29th (fixed subsets).
func TestDecodeQRSet(t *testing.T) {
	step := 1
	if qrSetRace() {
		step = qrSetRaceSubset
	}
	if testing.Short() {
		step = qrSetShortSubset
	}
	set, haveQrencode := qrTestSet(t, step)
	if !haveQrencode {
		t.Log("qrencode is not on PATH: only go-qrcode tickets (make deps installs it)")
	}
	tally := newQRTally(qrSetCategories)
	var failed []string
	for _, s := range set {
		start := time.Now()
		text, err := DecodeQR(s.img)
		d := time.Since(start)
		got := err == nil && text == s.text
		if s.cat == "none" && err == nil {
			t.Errorf("%s: decoded %q from a frame without a code", s.name, text)
		}
		tally.add(s, got && s.cat != "none", d)
		if !got && s.cat != "none" {
			failed = append(failed, fmt.Sprintf("%s (%.1f px, %.0f°, tilt %.0f/%.0f, blur %.1f, q%d)",
				s.name, s.minPitch, s.params.rotate, s.params.tiltX, s.params.tiltY, s.params.blur, s.params.quality))
		}
	}
	tally.log(t, fmt.Sprintf("DecodeQR on %d frames (step %d)", len(set), step))
	if len(failed) > 0 {
		t.Logf("missed: %s", strings.Join(failed, "; "))
	}
	if r := tally.rate("all"); r < 0.95 {
		t.Fatalf("DecodeQR read %.1f %% of the set, want at least 95 %%", 100*r)
	}
}

// TestDecodeQRSetZbar compares DecodeQR with zbarimg on the same frames,
// written as PNG (qrZbar). It logs both and fails only on our rate;
// zbarimg's time per image includes starting the process, so the batch
// run is given too.
func TestDecodeQRSetZbar(t *testing.T) {
	if testing.Short() || qrSetRace() {
		t.Skip("the full comparison runs without -short and -race")
	}
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Skip("zbarimg is not on PATH (make deps installs it)")
	}
	set, _ := qrTestSet(t, 1)
	zok, ztook, paths := qrZbar(t, zbar, set)
	ours, theirs, both := newQRTally(qrSetCategories), newQRTally(qrSetCategories), 0
	for i, s := range set {
		start := time.Now()
		text, err := DecodeQR(s.img)
		d := time.Since(start)
		okOurs := s.cat != "none" && err == nil && text == s.text
		ours.add(s, okOurs, d)
		theirs.add(s, zok[i], ztook[i])
		if okOurs && zok[i] {
			both++
		}
		if zok[i] && !okOurs {
			t.Logf("zbarimg reads, DecodeQR misses: %s (%.1f px)", s.name, s.minPitch)
		}
	}
	start := time.Now()
	out, _ := exec.Command(zbar, append([]string{"--quiet", "--raw"}, paths...)...).Output()
	batch := time.Since(start)
	texts := map[string]bool{}
	for _, s := range set {
		texts[s.text] = true
	}
	batchOK := 0
	for _, l := range strings.Split(string(out), "\n") {
		if l != "" && texts[l] {
			batchOK++
		}
	}
	ours.log(t, "DecodeQR (in process, one core)")
	theirs.log(t, "zbarimg, one process per image (time includes process start)")
	t.Logf("zbarimg, all %d images in one process: %.2f s, %.1f ms per image, %d decodes", len(set), batch.Seconds(), float64(batch)/1e6/float64(len(set)), batchOK)
	t.Logf("both read %d frames", both)
	if r := ours.rate("all"); r < 0.95 {
		t.Fatalf("DecodeQR read %.1f %% of the set, want at least 95 %%", 100*r)
	}
}
