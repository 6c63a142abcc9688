package camera

import (
	"encoding/binary"
	"errors"
	"image"

	"github.com/makiuchi-d/gozxing"
)

// The binarisers DecodeQR uses, written for speed: gozxing's own spend
// ~6 ms on a 720p frame (per-pixel calls, a bounds check on each), more
// than the finder and the decoder together. qrHybridBits gives exactly
// gozxing's HybridBinarizer's bits (qrbits_test.go compares them), in a
// fraction of the time; qrGlobalBits its GlobalHistogramBinarizer's.

// qrBitRows packs rows of black (1) bits into a gozxing BitMatrix.
type qrBitRows struct {
	w, h, words int
	bits        []uint32
}

func newQRBitRows(w, h int) *qrBitRows {
	n := (w + 31) / 32
	return &qrBitRows{w: w, h: h, words: n, bits: make([]uint32, n*h)}
}

// matrix copies the bits into a new BitMatrix (its words are private to
// gozxing; a row goes through one BitArray).
func (r *qrBitRows) matrix() *gozxing.BitMatrix {
	m, _ := gozxing.NewBitMatrix(r.w, r.h)
	row := gozxing.NewBitArray(r.w)
	for y := range r.h {
		ws := r.bits[y*r.words : (y+1)*r.words]
		for i, v := range ws {
			row.SetBulk(32*i, v)
		}
		m.SetRow(y, row)
	}
	return m
}

// qrHybridBits is zxing's hybrid binariser: each 8×8 block's black point
// (its mean, or for a flat block half its minimum unless the neighbours
// say it is dark), averaged over the 5×5 blocks around it, thresholds the
// block. g must be at least 40×40 (gozxing falls back to the global
// histogram below that; DecodeQR's frames are far larger).
func qrHybridBits(g *image.Gray) *gozxing.BitMatrix {
	const bs, minRange = 8, 24
	w, h := g.Rect.Dx(), g.Rect.Dy()
	sw, sh := (w+bs-1)/bs, (h+bs-1)/bs
	bp := make([]int, sw*sh)
	for by := range sh {
		y0 := min(by*bs, h-bs)
		for bx := range sw {
			x0 := min(bx*bs, w-bs)
			sum, lo, hi := 0, 255, 0
			for yy := range bs {
				off := (y0+yy)*g.Stride + x0
				r := g.Pix[off : off+bs : off+bs]
				a, b, c, d, e, f, gg, hh := int(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5]), int(r[6]), int(r[7])
				sum += a + b + c + d + e + f + gg + hh
				lo = min(lo, a, b, c, d, e, f, gg, hh)
				hi = max(hi, a, b, c, d, e, f, gg, hh)
			}
			avg := sum >> 6
			if hi-lo <= minRange {
				avg = lo / 2
				if by > 0 && bx > 0 {
					nb := (bp[(by-1)*sw+bx] + 2*bp[by*sw+bx-1] + bp[(by-1)*sw+bx-1]) / 4
					if lo < nb {
						avg = nb
					}
				}
			}
			bp[by*sw+bx] = avg
		}
	}
	out := newQRBitRows(w, h)
	capi := func(v, lo, hi int) int { return max(lo, min(v, hi)) }
	for by := range sh {
		y0 := min(by*bs, h-bs)
		top := capi(by, 2, sh-3)
		for bx := range sw {
			x0 := min(bx*bs, w-bs)
			left := capi(bx, 2, sw-3)
			sum := 0
			for z := -2; z <= 2; z++ {
				r := bp[(top+z)*sw+left-2 : (top+z)*sw+left+3 : (top+z)*sw+left+3]
				sum += r[0] + r[1] + r[2] + r[3] + r[4]
			}
			t := uint8(sum / 25) // a mean of means of bytes
			for yy := range bs {
				off := (y0+yy)*g.Stride + x0
				qrOrBits(out, x0, y0+yy, qrPack8(g.Pix[off:off+bs:off+bs], t))
			}
		}
	}
	return out.matrix()
}

// qrPack8 packs r[i] ≤ t (black; ≤ so that 0 is black even at a
// threshold of 0) into bit i, eight pixels at once: the bytes spread into
// 16-bit lanes, where 0x8000+t-v keeps its top bit exactly when v ≤ t.
// (A compare per pixel is twice the time, a branch per pixel far worse:
// a code's modules are random.)
func qrPack8(r []uint8, t uint8) uint32 {
	const lanes, top = 0x00ff00ff00ff00ff, 0x8000800080008000
	v := binary.LittleEndian.Uint64(r)
	tt := uint64(t)*0x0001000100010001 | top
	even := (tt - v&lanes) & top     // bytes 0, 2, 4, 6 at bits 15, 31, 47, 63
	odd := (tt - (v>>8)&lanes) & top // bytes 1, 3, 5, 7
	x := even>>15 | odd>>14          // byte 2j at bit 16j, byte 2j+1 at 16j+1
	return uint32((x | x>>14 | x>>28 | x>>42) & 0xff)
}

// qrOrBits ORs the 8 bits m into row y from column x on; a block moved in
// from the right edge may straddle two words (gozxing ORs there too).
func qrOrBits(r *qrBitRows, x, y int, m uint32) {
	i := y*r.words + x/32
	s := uint(x % 32)
	r.bits[i] |= m << s
	if s > 24 {
		r.bits[i+1] |= m >> (32 - s)
	}
}

// errQRFlat: the picture has too little contrast for one global cut.
var errQRFlat = errors.New("qr: no contrast for a global threshold")

// qrGlobalBits is zxing's global histogram binariser: 32 buckets of four
// rows' middle three fifths, a black point in the valley between the two
// peaks, one cut for the whole image.
func qrGlobalBits(g *image.Gray) (*gozxing.BitMatrix, error) {
	const buckets, shift = 32, 3
	w, h := g.Rect.Dx(), g.Rect.Dy()
	var hist [buckets]int
	for k := 1; k < 5; k++ {
		row := g.Pix[(h*k/5)*g.Stride:]
		for _, v := range row[w/5 : w*4/5] {
			hist[v>>shift]++
		}
	}
	first, firstN, maxN := 0, 0, 0
	for x, n := range hist {
		if n > firstN {
			first, firstN = x, n
		}
		maxN = max(maxN, n)
	}
	second, secondScore := 0, 0
	for x, n := range hist {
		d := x - first
		if s := n * d * d; s > secondScore {
			second, secondScore = x, s
		}
	}
	if first > second {
		first, second = second, first
	}
	if second-first <= buckets/16 {
		return nil, errQRFlat
	}
	valley, valleyScore := second-1, -1
	for x := second - 1; x > first; x-- {
		f := x - first
		if s := f * f * (second - x) * (maxN - hist[x]); s > valleyScore {
			valley, valleyScore = x, s
		}
	}
	// gozxing: black where pixel < black point.
	return qrCutBits(g, valley<<shift-1), nil
}

// qrCutBits: black where a pixel is ≤ t.
func qrCutBits(g *image.Gray, t int) *gozxing.BitMatrix {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	// A table lookup per pixel is the cheapest cut Go compiles here.
	var lut [256]uint32
	for v := range min(256, max(0, t+1)) {
		lut[v] = 1
	}
	out := newQRBitRows(w, h)
	for y := range h {
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		ws := out.bits[y*out.words : (y+1)*out.words]
		x := 0
		for ; x+8 <= w; x += 8 {
			r := row[x : x+8 : x+8]
			m := lut[r[0]] | lut[r[1]]<<1 | lut[r[2]]<<2 | lut[r[3]]<<3 |
				lut[r[4]]<<4 | lut[r[5]]<<5 | lut[r[6]]<<6 | lut[r[7]]<<7
			ws[x>>5] |= m << (x & 31)
		}
		for ; x < w; x++ {
			ws[x>>5] |= lut[row[x]] << (x & 31)
		}
	}
	return out.matrix()
}

// qrOtsuCut is the Otsu threshold of g: the cut (black at or below it)
// that maximises the between-class variance.
func qrOtsuCut(g *image.Gray) int {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	var hist [256]int
	for y := range h {
		for _, v := range g.Pix[y*g.Stride : y*g.Stride+w] {
			hist[v]++
		}
	}
	var sum float64
	for i, n := range hist {
		sum += float64(i * n)
	}
	var sumB, best float64
	wB, t := 0, 0
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
	return t
}

// qrBitsBinarizer hands gozxing readers a matrix made here.
type qrBitsBinarizer struct {
	src gozxing.LuminanceSource
	m   *gozxing.BitMatrix
}

func (b qrBitsBinarizer) GetLuminanceSource() gozxing.LuminanceSource { return b.src }
func (b qrBitsBinarizer) GetBlackMatrix() (*gozxing.BitMatrix, error) { return b.m, nil }
func (b qrBitsBinarizer) GetWidth() int                               { return b.m.GetWidth() }
func (b qrBitsBinarizer) GetHeight() int                              { return b.m.GetHeight() }
func (b qrBitsBinarizer) GetBlackRow(y int, row *gozxing.BitArray) (*gozxing.BitArray, error) {
	return b.m.GetRow(y, row), nil
}
func (b qrBitsBinarizer) CreateBinarizer(src gozxing.LuminanceSource) gozxing.Binarizer {
	return gozxing.NewHybridBinarizer(src)
}
