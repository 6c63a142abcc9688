package camera

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/makiuchi-d/gozxing"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// ErrNoQR means no QR code could be read from the image.
var ErrNoQR = errors.New("no QR code found in image")

// qrHints: TRY_HARDER makes the finder scan every third row instead of
// every fifth (at 720p), which matters for small codes (without it the
// hard set lost a 2.9 px code at 316°). qrFindPatterns does the same
// scan; the multi-code reader still takes the hint.
var qrHints = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}

// qrMaxUpscaleSide: above this the image is a photo, not a camera frame;
// its modules are big enough, and a 2× copy would cost tens of megabytes.
const qrMaxUpscaleSide = 2048

// DecodeQR returns the text of the QR code in img, or ErrNoQR.
//
// gozxing alone reads few codes whose modules are a fractional 2.2–3.6 px
// wide or that are turned away from the camera (DESIGN.md, ground facts).
// On the issue-5 set (qrset_test.go, docs/BENCHMARKS.md) the passes below
// read every frame, on the issue-15 hard set (qrhard_test.go) every frame
// zbarimg reads and more: the three passes over the whole frame nearly
// all; the others (light evened out, 2× upscaled) run only when those saw
// a finder-like pattern, and only on the part of the frame around it, so
// a frame without a code usually costs 3–4 ms, which idle scanning pays.
// The binarisers are this package's own (qrbits.go): the same bits as
// gozxing's in half the time or less.
func DecodeQR(img image.Image) (string, error) {
	text, _, err := decodeQR(img)
	return text, err
}

// decodeQR also says whether the frame holds something QR-like (a finder
// pattern), so the scanner can look again soon.
func decodeQR(img image.Image) (text string, seen bool, err error) {
	if img == nil || img.Bounds().Dx() < 21 || img.Bounds().Dy() < 21 {
		return "", false, ErrNoQR
	}
	gray := qrLuma(img)
	var where qrSeen // in frame pixels: from the passes on the frame as is
	for _, p := range qrPassesFor(gray) {
		g := gray
		if p.ifSeen {
			if where.n == 0 {
				continue
			}
			// The costly passes look only where the code must be: a 2×
			// copy of a whole 720p frame costs ~40 ms, of a ticket's
			// surroundings a few.
			g = where.crop(gray)
			if p.flatten {
				g = qrFlatten(g, where.flattenRadius())
			}
		}
		text, ok, s := p.decode(g)
		if ok {
			return text, true, nil
		}
		seen = seen || s.n > 0
		if p.prepare == nil && !p.ifSeen {
			where.add(s)
		}
	}
	return "", seen, ErrNoQR
}

// DecodeQRFile reads a PNG or JPEG file within DecodePicture's limits and
// decodes the QR code in it (DecodePictureQR).
func DecodeQRFile(path string) (string, error) {
	img, err := DecodePictureFile(path)
	if err != nil {
		return "", fmt.Errorf("read image: %w", err)
	}
	return DecodePictureQR(img)
}

// qrPass is one attempt: a prepared copy of the frame, a binariser and a reader.
type qrPass struct {
	prepare func(*image.Gray) *image.Gray // nil: the frame as is
	cut     qrCut
	multi   bool // try several finder-pattern triples (a wrong third pattern)
	ifSeen  bool // only when an earlier pass saw a finder pattern, and only around it
	flatten bool // light evened out first (qrFlatten); needs ifSeen for the module size
}

// qrCut is how a pass turns grey into black and white.
type qrCut int

const (
	qrCutHybrid qrCut = iota // zxing's default: local thresholds, copes with uneven light
	qrCutGlobal              // one histogram threshold: cheap, reads soft codes the local one breaks up
	qrCutOtsu                // one cut at Otsu's threshold: reads small, soft codes the hybrid breaks up
)

var (
	qrPassesFrame = []qrPass{
		{},
		{cut: qrCutGlobal},
		{cut: qrCutOtsu},
		{flatten: true, cut: qrCutOtsu, ifSeen: true},
		{flatten: true, ifSeen: true},
		{prepare: qrUpscale2x, ifSeen: true},
		{prepare: qrUpscale2x, cut: qrCutOtsu, multi: true, ifSeen: true},
	}
	qrPassesPhoto = []qrPass{
		{},
		{cut: qrCutGlobal},
		{cut: qrCutOtsu},
		{prepare: qrDownscale2x},
		{prepare: qrDownscale2x, cut: qrCutOtsu, multi: true},
	}
)

func qrPassesFor(g *image.Gray) []qrPass {
	if max(g.Rect.Dx(), g.Rect.Dy()) > qrMaxUpscaleSide {
		return qrPassesPhoto
	}
	return qrPassesFrame
}

// bits binarises g as the pass says.
func (p qrPass) bits(g *image.Gray) (*gozxing.BitMatrix, error) {
	switch p.cut {
	case qrCutGlobal:
		return qrGlobalBits(g)
	case qrCutOtsu:
		return qrCutBits(g, qrOtsuCut(g)), nil
	}
	if g.Rect.Dx() < 40 || g.Rect.Dy() < 40 {
		return qrGlobalBits(g) // as gozxing's hybrid binariser does
	}
	return qrHybridBits(g), nil
}

// decode runs the pass on g (which it does not modify); seen says where
// it saw finder-like patterns. A panic inside gozxing on a strange frame
// must not take the kiosk down: it is a miss.
func (p qrPass) decode(g *image.Gray) (text string, ok bool, seen qrSeen) {
	defer func() {
		if recover() != nil {
			text, ok = "", false
		}
	}()
	if p.prepare != nil {
		g = p.prepare(g)
	}
	bits, err := p.bits(g)
	if err != nil {
		return "", false, seen
	}
	if p.multi {
		w, h := g.Rect.Dx(), g.Rect.Dy()
		src, err := gozxing.NewPlanarYUVLuminanceSource(g.Pix, g.Stride, h, 0, 0, w, h, false)
		if err != nil {
			return "", false, seen
		}
		bmp, err := gozxing.NewBinaryBitmap(qrBitsBinarizer{src: src, m: bits})
		if err != nil {
			return "", false, seen
		}
		rs, err := multiqr.NewQRCodeMultiReader().DecodeMultiple(bmp, qrHints)
		if err != nil || len(rs) == 0 {
			return "", false, seen
		}
		return rs[0].GetText(), true, seen
	}
	return qrDecodeBits(bits)
}

// qrDecodeBits is gozxing's QR reader with one change: gozxing derives
// the version (grid size) from the finder patterns' spacing over their
// module size, and a code turned away from the camera (keystone) skews
// that by ±4–8 modules on a ticket's version-19 grid, so the sampled grid
// is wrong and nothing reads. It tries the neighbouring sizes too.
func qrDecodeBits(bits *gozxing.BitMatrix) (text string, ok bool, seen qrSeen) {
	text, ok, stopped := qrDecodeFound(bits, false, &seen)
	if !ok && stopped {
		// gozxing's scan stops at the first three confirmed centres of
		// one module size, and a finder-like pattern in the data can be
		// one of them, before the real third finder further down: 2 of
		// 120 demo tickets (version 19, 2.9 px a module) were never read
		// on the demo camera. The whole picture's centres then choose.
		text, ok, _ = qrDecodeFound(bits, true, &seen)
	}
	return text, ok, seen
}

// qrDecodeFound is one look for the three finders on bits (the whole
// picture with full) and a decode of the code they mark; seen gathers the
// centres it finds.
func qrDecodeFound(bits *gozxing.BitMatrix, full bool, seen *qrSeen) (text string, ok, stopped bool) {
	finder := detector.NewFinderPatternFinder(bits, nil)
	info, stopped, err := qrFindPatterns(finder, full) // finder.Find(qrHints), faster
	for _, c := range finder.GetPossibleCenters() {
		seen.centre(c.GetX(), c.GetY(), c.GetEstimatedModuleSize())
	}
	if err != nil {
		return "", false, stopped
	}
	tl, tr, bl := info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft()
	ms := (tl.GetEstimatedModuleSize() + tr.GetEstimatedModuleSize() + bl.GetEstimatedModuleSize()) / 3
	// The fourth corner too: a code's own finders may not all be centres
	// the finder kept.
	seen.centre(tr.GetX()+bl.GetX()-tl.GetX(), tr.GetY()+bl.GetY()-tl.GetY(), ms)
	if ms < 1 {
		return "", false, stopped
	}
	// The finder's module size comes from horizontal and vertical runs,
	// which a code rotated by φ crosses 1/cos φ too long (√2 at 45°).
	phi := math.Mod(math.Abs(math.Atan2(tr.GetY()-tl.GetY(), tr.GetX()-tl.GetX())), math.Pi/2)
	ms *= math.Cos(min(phi, math.Pi/2-phi))
	across := (gozxing.ResultPoint_Distance(tl, tr)+gozxing.ResultPoint_Distance(tl, bl))/(2*ms) + 7
	dim := 4*int(math.Round((across-17)/4)) + 17 // nearest valid size
	dec := decoder.NewDecoder()
	// gozxing's way first: its alignment-pattern search, cheap and right
	// for a code facing the camera.
	if text, ok := qrSampleDecode(dec, bits, info, qrFindAlignment(bits, info, ms, dim), dim); ok {
		return text, true, stopped
	}
	// Otherwise fit the grid: under keystone the alignment pattern is ~10
	// modules from where a parallelogram puts it, and gozxing's search
	// then takes a look-alike in the data. Try the grid sizes around the
	// estimate and the bottom-right point that makes the most fixed
	// modules (timing, alignment and version patterns) come out right.
	best, bestScore, bestDim := (*detector.AlignmentPattern)(nil), -1.0, 0
	for _, d := range []int{dim, dim + 4, dim - 4} {
		if a, score := qrFitAlignment(bits, info, ms, d); score > bestScore {
			best, bestScore, bestDim = a, score, d
		}
		if bestScore >= qrFitSure {
			break
		}
	}
	if best != nil && bestScore > 0.7 {
		text, ok := qrSampleDecode(dec, bits, info, best, bestDim)
		return text, ok, stopped
	}
	return "", false, stopped
}

// qrFitSure: a grid whose fixed modules match this well is the code's; the
// other sizes are not tried (a wrong size matches about half, as chance).
const qrFitSure = 0.9

// qrAlignEstimate is where gozxing expects the bottom-right alignment
// pattern: 3 modules in from a fourth finder completing the parallelogram.
func qrAlignEstimate(info *detector.FinderPatternInfo, dim int) (x, y float64) {
	tl, tr, bl := info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft()
	c := 1 - 3/float64(dim-7)
	return tl.GetX() + c*(tr.GetX()-tl.GetX()+bl.GetX()-tl.GetX()),
		tl.GetY() + c*(tr.GetY()-tl.GetY()+bl.GetY()-tl.GetY())
}

// qrFindAlignment searches as gozxing does; nil when not found or when the
// version has no alignment pattern.
func qrFindAlignment(bits *gozxing.BitMatrix, info *detector.FinderPatternInfo, ms float64, dim int) *detector.AlignmentPattern {
	ver, err := decoder.Version_GetProvisionalVersionForDimension(dim)
	if err != nil || len(ver.GetAlignmentPatternCenters()) == 0 {
		return nil
	}
	ex, ey := qrAlignEstimate(info, dim)
	for f := 4.0; f <= 16; f *= 2 {
		r := int(f * ms)
		x0, y0 := max(0, int(ex)-r), max(0, int(ey)-r)
		x1, y1 := min(bits.GetWidth()-1, int(ex)+r), min(bits.GetHeight()-1, int(ey)+r)
		if float64(x1-x0) < 3*ms || float64(y1-y0) < 3*ms {
			return nil
		}
		if a, err := detector.NewAlignmentPatternFinder(bits, x0, y0, x1-x0, y1-y0, ms, nil).Find(); err == nil {
			return a
		}
	}
	return nil
}

// qrFitAlignment searches around the parallelogram estimate, coarse to
// fine, for the bottom-right alignment point whose grid best matches the
// version's fixed modules; it returns that point and the matching fraction.
func qrFitAlignment(bits *gozxing.BitMatrix, info *detector.FinderPatternInfo, ms float64, dim int) (*detector.AlignmentPattern, float64) {
	ver, err := decoder.Version_GetProvisionalVersionForDimension(dim)
	if err != nil || len(ver.GetAlignmentPatternCenters()) == 0 {
		return nil, -1
	}
	fixed, dark := qrFixedModules(ver, dim)
	tl, tr, bl := info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft()
	w, h := bits.GetWidth(), bits.GetHeight()
	// every: the coarse search scores a fifth of the modules (its 289
	// grids are most of the cost), the fine ones all of them. The points
	// go through the transform in one call, into a buffer kept across
	// candidates.
	var subPts []float64
	var subDark []bool
	for k := 0; k < len(dark); k += 5 {
		subPts = append(subPts, fixed[2*k], fixed[2*k+1])
		subDark = append(subDark, dark[k])
	}
	buf := make([]float64, len(fixed))
	score := func(x, y float64, every int) float64 {
		pts, want := fixed, dark
		if every > 1 {
			pts, want = subPts, subDark
		}
		tf := detector.Detector_createTransform(tl, tr, bl, detector.NewAlignmentPattern(x, y, ms), dim)
		b := buf[:len(pts)]
		copy(b, pts)
		tf.TransformPoints(b)
		n := 0
		for k, d := range want {
			ix, iy := int(b[2*k]), int(b[2*k+1])
			if ix >= 0 && iy >= 0 && ix < w && iy < h && bits.Get(ix, iy) == d {
				n++
			}
		}
		return float64(n) / float64(len(want))
	}
	cx, cy := qrAlignEstimate(info, dim)
	best := 0.0
	for _, st := range []struct {
		step, span float64
		every      int
	}{{1.5, 12, 5}, {0.5, 1.5, 1}, {0.25, 0.5, 1}} {
		bx, by := cx, cy
		best = score(bx, by, st.every)
		for dy := -st.span; dy <= st.span; dy += st.step {
			for dx := -st.span; dx <= st.span; dx += st.step {
				if v := score(bx+dx*ms, by+dy*ms, st.every); v > best {
					best, cx, cy = v, bx+dx*ms, by+dy*ms
				}
			}
		}
	}
	return detector.NewAlignmentPattern(cx, cy, ms), best
}

// qrFixedModules returns the centres (x, y pairs, in modules) and colours
// of the modules every code of ver has apart from the finder patterns.
func qrFixedModules(ver *decoder.Version, dim int) (pts []float64, dark []bool) {
	add := func(x, y int, d bool) {
		pts = append(pts, float64(x)+0.5, float64(y)+0.5)
		dark = append(dark, d)
	}
	for i := 8; i < dim-8; i++ { // timing patterns
		add(i, 6, i%2 == 0)
		add(6, i, i%2 == 0)
	}
	cs := ver.GetAlignmentPatternCenters()
	last := len(cs) - 1
	for yi, y := range cs {
		for xi, x := range cs {
			if (xi == 0 && yi == 0) || (xi == 0 && yi == last) || (xi == last && yi == 0) {
				continue // under a finder pattern
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					add(x+dx, y+dy, max(abs(dx), abs(dy)) != 1)
				}
			}
		}
	}
	if v := ver.GetVersionNumber(); v >= 7 {
		// The 18 version bits, read as gozxing's BitMatrixParser reads them.
		bitsV := decoder.VERSION_DECODE_INFO[v-7]
		k := 17
		for j := 5; j >= 0; j-- {
			for i := dim - 9; i >= dim-11; i-- {
				d := bitsV>>k&1 == 1
				add(i, j, d)
				add(j, i, d)
				k--
			}
		}
	}
	return pts, dark
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// qrSampleDecode samples bits as a dim×dim code on the three finder
// patterns and the bottom-right alignment point (a parallelogram without
// one), and decodes it.
func qrSampleDecode(dec *decoder.Decoder, bits *gozxing.BitMatrix, info *detector.FinderPatternInfo, align *detector.AlignmentPattern, dim int) (string, bool) {
	if _, err := decoder.Version_GetProvisionalVersionForDimension(dim); err != nil {
		return "", false
	}
	grid, err := detector.Detector_sampleGrid(bits, detector.Detector_createTransform(info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft(), align, dim), dim)
	if err != nil {
		return "", false
	}
	res, err := dec.Decode(grid, nil)
	if err != nil {
		return "", false
	}
	return res.GetText(), true
}

// qrLuma is img's luma for reading only: a gray image or a YCbCr frame's
// Y plane as it is (no 1 MB copy per decode), anything else through qrGray.
// The passes never write to it.
func qrLuma(img image.Image) *image.Gray {
	switch src := img.(type) {
	case *image.Gray:
		if src.Rect.Min == (image.Point{}) {
			return src
		}
	case *image.YCbCr:
		if src.Rect.Min == (image.Point{}) {
			return &image.Gray{Pix: src.Y, Stride: src.YStride, Rect: src.Rect}
		}
	}
	return qrGray(img)
}

// qrGray returns img's luma as a new *image.Gray whose bounds start at
// (0,0). A YCbCr image (decoded JPEG / MJPEG) gives its Y plane as is.
func qrGray(img image.Image) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	switch src := img.(type) {
	case *image.Gray:
		for y := 0; y < h; y++ {
			i := src.PixOffset(b.Min.X, b.Min.Y+y)
			copy(out.Pix[y*out.Stride:y*out.Stride+w], src.Pix[i:i+w])
		}
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			i := src.YOffset(b.Min.X, b.Min.Y+y)
			copy(out.Pix[y*out.Stride:y*out.Stride+w], src.Y[i:i+w])
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			dst := out.Pix[y*out.Stride:]
			for x := 0; x < w; x++ {
				dst[x] = luma601(row[4*x], row[4*x+1], row[4*x+2])
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			dst := out.Pix[y*out.Stride:]
			for x := 0; x < w; x++ {
				// Transparent counts as white paper, as a viewer shows it.
				a := uint32(row[4*x+3])
				l := uint32(luma601(row[4*x], row[4*x+1], row[4*x+2]))
				dst[x] = uint8((l*a + 255*(255-a)) / 255)
			}
		}
	default:
		for y := 0; y < h; y++ {
			dst := out.Pix[y*out.Stride:]
			for x := 0; x < w; x++ {
				r, g, bl, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				// Premultiplied: adding the missing alpha composites on white.
				c := color.RGBA64{R: uint16(r + 0xffff - a), G: uint16(g + 0xffff - a), B: uint16(bl + 0xffff - a), A: 0xffff}
				dst[x] = color.GrayModel.Convert(c).(color.Gray).Y
			}
		}
	}
	return out
}

// qrUpscale2x doubles g with bilinear interpolation: modules of a fractional
// 2.2–3.6 px become 4.4–7.2 px, which gozxing's grid sampler reads.
func qrUpscale2x(g *image.Gray) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, 2*w, 2*h))
	// Output pixel i samples source position (i+0.5)/2-0.5 = (2i-1)/4:
	// integer part and quarter-pixel weight.
	idx := func(i, n int) (i0, i1 int, f uint32) {
		q := 2*i - 1
		if q < 0 {
			return 0, 0, 0
		}
		i0 = q >> 2
		return i0, min(i0+1, n-1), uint32(q & 3)
	}
	for y := 0; y < 2*h; y++ {
		y0, y1, fy := idx(y, h)
		r0, r1 := g.Pix[y0*g.Stride:], g.Pix[y1*g.Stride:]
		dst := out.Pix[y*out.Stride:]
		for x := 0; x < 2*w; x++ {
			x0, x1, fx := idx(x, w)
			top := uint32(r0[x0])*(4-fx) + uint32(r0[x1])*fx
			bot := uint32(r1[x0])*(4-fx) + uint32(r1[x1])*fx
			dst[x] = uint8((top*(4-fy) + bot*fy + 8) >> 4)
		}
	}
	return out
}

// qrDownscale2x halves g by averaging 2×2 blocks.
func qrDownscale2x(g *image.Gray) *image.Gray {
	w, h := g.Rect.Dx()/2, g.Rect.Dy()/2
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		r0, r1 := g.Pix[2*y*g.Stride:], g.Pix[(2*y+1)*g.Stride:]
		dst := out.Pix[y*out.Stride:]
		for x := 0; x < w; x++ {
			s := uint32(r0[2*x]) + uint32(r0[2*x+1]) + uint32(r1[2*x]) + uint32(r1[2*x+1])
			dst[x] = uint8((s + 2) >> 2)
		}
	}
	return out
}
