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

// qrHints: TRY_HARDER makes the finder scan every row, which matters for
// small codes and costs a few ms at 720p.
var qrHints = map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}

// qrMaxUpscaleSide: above this the image is a photo, not a camera frame;
// its modules are big enough, and a 2× copy would cost tens of megabytes.
const qrMaxUpscaleSide = 2048

// DecodeQR returns the text of the QR code in img, or ErrNoQR.
//
// gozxing alone reads few codes whose modules are a fractional 2.2–3.6 px
// wide or that are turned away from the camera (DESIGN.md, ground facts).
// On the issue-5 set (qrset_test.go, docs/BENCHMARKS.md) the passes below
// read every frame: the 1× passes nearly all, the 2× ones the smallest
// codes. The 2× passes (~40 ms) run only when a 1× pass saw a finder-like
// pattern, so a frame without a code usually costs ~10 ms, which idle
// scanning pays every tick.
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
	gray := qrGray(img)
	for _, p := range qrPassesFor(gray) {
		if p.ifSeen && !seen {
			continue
		}
		text, ok, s := p.decode(gray)
		if ok {
			return text, true, nil
		}
		seen = seen || s
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
	global  bool                          // gozxing's global histogram binariser instead of the hybrid one
	multi   bool                          // try several finder-pattern triples (a wrong third pattern)
	ifSeen  bool                          // only when an earlier pass saw a finder pattern
}

var (
	qrPassesFrame = []qrPass{
		{},             // zxing's default: local thresholds, copes with uneven light
		{global: true}, // one histogram threshold: cheap, reads soft codes the local one breaks up
		{prepare: qrOtsu},
		{prepare: qrUpscale2x, ifSeen: true},
		{prepare: func(g *image.Gray) *image.Gray { return qrOtsu(qrUpscale2x(g)) }, multi: true, ifSeen: true},
	}
	qrPassesPhoto = []qrPass{
		{},
		{global: true},
		{prepare: qrOtsu},
		{prepare: qrDownscale2x},
		{prepare: func(g *image.Gray) *image.Gray { return qrOtsu(qrDownscale2x(g)) }, multi: true},
	}
)

func qrPassesFor(g *image.Gray) []qrPass {
	if max(g.Rect.Dx(), g.Rect.Dy()) > qrMaxUpscaleSide {
		return qrPassesPhoto
	}
	return qrPassesFrame
}

// decode runs the pass on g (which it does not modify); seen reports a
// finder-like pattern. A panic inside gozxing on a strange frame must not
// take the kiosk down: it is a miss.
func (p qrPass) decode(g *image.Gray) (text string, ok, seen bool) {
	defer func() {
		if recover() != nil {
			text, ok = "", false
		}
	}()
	if p.prepare != nil {
		g = p.prepare(g)
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	// A planar YUV source's Y plane is exactly a gray image: gozxing reads
	// g.Pix directly instead of calling image.Image.At per pixel.
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.Pix, g.Stride, h, 0, 0, w, h, false)
	if err != nil {
		return "", false, false
	}
	var bin gozxing.Binarizer
	if p.global {
		bin = gozxing.NewGlobalHistgramBinarizer(src)
	} else {
		bin = gozxing.NewHybridBinarizer(src)
	}
	bmp, err := gozxing.NewBinaryBitmap(bin)
	if err != nil {
		return "", false, false
	}
	if p.multi {
		rs, err := multiqr.NewQRCodeMultiReader().DecodeMultiple(bmp, qrHints)
		if err != nil || len(rs) == 0 {
			return "", false, false
		}
		return rs[0].GetText(), true, true
	}
	return qrDecodeBitmap(bmp)
}

// qrDecodeBitmap is gozxing's QR reader with one change: gozxing derives
// the version (grid size) from the finder patterns' spacing over their
// module size, and a code turned away from the camera (keystone) skews
// that by ±4–8 modules on a ticket's version-19 grid, so the sampled grid
// is wrong and nothing reads. It tries the neighbouring sizes too.
func qrDecodeBitmap(bmp *gozxing.BinaryBitmap) (text string, ok, seen bool) {
	bits, err := bmp.GetBlackMatrix()
	if err != nil {
		return "", false, false
	}
	finder := detector.NewFinderPatternFinder(bits, nil)
	info, err := finder.Find(qrHints)
	if err != nil {
		return "", false, len(finder.GetPossibleCenters()) > 0
	}
	tl, tr, bl := info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft()
	ms := (tl.GetEstimatedModuleSize() + tr.GetEstimatedModuleSize() + bl.GetEstimatedModuleSize()) / 3
	if ms < 1 {
		return "", false, true
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
		return text, true, true
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
	}
	if best != nil && bestScore > 0.7 {
		text, ok := qrSampleDecode(dec, bits, info, best, bestDim)
		return text, ok, true
	}
	return "", false, true
}

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
	pts := make([]float64, len(fixed))
	tl, tr, bl := info.GetTopLeft(), info.GetTopRight(), info.GetBottomLeft()
	w, h := bits.GetWidth(), bits.GetHeight()
	score := func(x, y float64) float64 {
		tf := detector.Detector_createTransform(tl, tr, bl, detector.NewAlignmentPattern(x, y, ms), dim)
		copy(pts, fixed)
		tf.TransformPoints(pts)
		n := 0
		for i := 0; i < len(pts); i += 2 {
			px, py := int(pts[i]), int(pts[i+1])
			if px >= 0 && py >= 0 && px < w && py < h && bits.Get(px, py) == dark[i/2] {
				n++
			}
		}
		return float64(n) / float64(len(dark))
	}
	cx, cy := qrAlignEstimate(info, dim)
	best := score(cx, cy)
	for _, st := range []struct{ step, span float64 }{{1.5, 12}, {0.5, 1.5}, {0.25, 0.5}} {
		bx, by := cx, cy
		for dy := -st.span; dy <= st.span; dy += st.step {
			for dx := -st.span; dx <= st.span; dx += st.step {
				if v := score(bx+dx*ms, by+dy*ms); v > best {
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

// qrOtsu returns a black-and-white copy of g cut at its Otsu threshold. In
// the measurements one global cut read far more small, soft codes than
// gozxing's block-wise (hybrid) binariser, which breaks thin modules up.
func qrOtsu(g *image.Gray) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	var hist [256]int
	for y := 0; y < h; y++ {
		for _, v := range g.Pix[y*g.Stride : y*g.Stride+w] {
			hist[v]++
		}
	}
	// Pick the cut that maximises the between-class variance.
	var sum float64
	for i, n := range hist {
		sum += float64(i * n)
	}
	var sumB, best float64
	var wB int
	var t int
	for i, n := range hist {
		wB += n
		wF := w*h - wB
		if wB == 0 {
			continue
		}
		if wF == 0 {
			break
		}
		sumB += float64(i * n)
		d := sumB/float64(wB) - (sum-sumB)/float64(wF)
		if v := float64(wB) * float64(wF) * d * d; v > best {
			best, t = v, i
		}
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		src, dst := g.Pix[y*g.Stride:y*g.Stride+w], out.Pix[y*out.Stride:]
		for x, v := range src {
			if int(v) > t {
				dst[x] = 255
			}
		}
	}
	return out
}
