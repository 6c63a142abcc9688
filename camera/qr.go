package camera

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // DecodeQRFile reads JPEG
	_ "image/png"  // and PNG
	"os"

	"github.com/makiuchi-d/gozxing"
	multiqr "github.com/makiuchi-d/gozxing/multi/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode"
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
// wide (DESIGN.md, ground facts). Measured on 270 synthetic 1280×720 MJPEG
// frames of a demo ticket (2.0–4.5 px/module, ±15° rotation, perspective,
// blur, noise, low contrast): its default pass read 37%, zbarimg 89%, and
// the pass sequence below 85%. Each pass costs ~3–6 ms at 720p, the 2×
// ones ~25 ms; a frame with a code usually stops early, a frame without
// one pays for all (~65 ms on the 2-core VM), so scan at a few fps.
func DecodeQR(img image.Image) (string, error) {
	if img == nil || img.Bounds().Dx() < 21 || img.Bounds().Dy() < 21 {
		return "", ErrNoQR
	}
	gray := qrGray(img)
	for _, p := range qrPassesFor(gray) {
		if text, ok := p.decode(gray); ok {
			return text, nil
		}
	}
	return "", ErrNoQR
}

// DecodeQRFile reads a PNG or JPEG file and decodes the QR code in it.
func DecodeQRFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read image: %w", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if errors.Is(err, image.ErrFormat) {
		return "", fmt.Errorf("read image: not a PNG or JPEG file: %w", err)
	}
	if err != nil {
		return "", fmt.Errorf("decode image: %w", err)
	}
	return DecodeQR(img)
}

// qrPass is one attempt: a prepared copy of the frame, a binariser and a reader.
type qrPass struct {
	prepare func(*image.Gray) *image.Gray // nil: the frame as is
	global  bool                          // gozxing's global histogram binariser instead of the hybrid one
	multi   bool                          // try several finder-pattern triples (a wrong third pattern)
}

var (
	qrPassesFrame = []qrPass{
		{},             // zxing's default: local thresholds, copes with uneven light
		{global: true}, // one histogram threshold: cheap, reads soft codes the local one breaks up
		{prepare: qrOtsu},
		{prepare: qrUpscale2x},
		{prepare: func(g *image.Gray) *image.Gray { return qrOtsu(qrUpscale2x(g)) }, multi: true},
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

// decode runs the pass on g (which it does not modify). A panic inside
// gozxing on a strange frame must not take the kiosk down: it is a miss.
func (p qrPass) decode(g *image.Gray) (text string, ok bool) {
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
		return "", false
	}
	var bin gozxing.Binarizer
	if p.global {
		bin = gozxing.NewGlobalHistgramBinarizer(src)
	} else {
		bin = gozxing.NewHybridBinarizer(src)
	}
	bmp, err := gozxing.NewBinaryBitmap(bin)
	if err != nil {
		return "", false
	}
	if p.multi {
		rs, err := multiqr.NewQRCodeMultiReader().DecodeMultiple(bmp, qrHints)
		if err != nil || len(rs) == 0 {
			return "", false
		}
		return rs[0].GetText(), true
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, qrHints)
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
				dst[x] = qrLuma(row[4*x], row[4*x+1], row[4*x+2])
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			dst := out.Pix[y*out.Stride:]
			for x := 0; x < w; x++ {
				// Transparent counts as white paper, as a viewer shows it.
				a := uint32(row[4*x+3])
				l := uint32(qrLuma(row[4*x], row[4*x+1], row[4*x+2]))
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

// qrLuma is BT.601 luma, computed as image/color does.
func qrLuma(r, g, b uint8) uint8 {
	return uint8((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
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
