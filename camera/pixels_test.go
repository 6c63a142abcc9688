package camera

import (
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomYUYV is a w×h YUYV frame of random bytes: every Y/Cb/Cr value
// combination the clamping can meet.
func randomYUYV(w, h int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, w*h*2)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// want is image/color's reading of pixel (x, y) of a YUYV frame.
func wantYCbCr(src []byte, w, x, y int) color.YCbCr {
	p := src[2*w*y+4*(x/2):]
	return color.YCbCr{Y: p[2*(x%2)], Cb: p[1], Cr: p[3]}
}

func TestYUYVConversionsMatchImageColor(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{2, 1}, {6, 3}, {10, 7}, {64, 48}, {642, 5}} {
		src := randomYUYV(sz.w, sz.h, uint64(sz.w*1000+sz.h))
		ycc, err := YUYVToYCbCr(nil, src, sz.w, sz.h)
		if err != nil {
			t.Fatal(err)
		}
		if ycc.SubsampleRatio != image.YCbCrSubsampleRatio422 {
			t.Fatalf("ratio %v", ycc.SubsampleRatio)
		}
		gray := image.NewGray(image.Rect(0, 0, sz.w, sz.h))
		if err := YUYVToGray(gray, src, sz.w, sz.h); err != nil {
			t.Fatal(err)
		}
		rgba := image.NewRGBA(image.Rect(0, 0, sz.w, sz.h))
		if err := YUYVToRGBA(rgba, src, sz.w, sz.h); err != nil {
			t.Fatal(err)
		}
		for y := range sz.h {
			for x := range sz.w {
				want := wantYCbCr(src, sz.w, x, y)
				if got := ycc.YCbCrAt(x, y); got != want {
					t.Fatalf("%dx%d (%d,%d): ycbcr %v, want %v", sz.w, sz.h, x, y, got, want)
				}
				if got := gray.GrayAt(x, y).Y; got != want.Y {
					t.Fatalf("%dx%d (%d,%d): gray %d, want %d", sz.w, sz.h, x, y, got, want.Y)
				}
				r, g, b := color.YCbCrToRGB(want.Y, want.Cb, want.Cr)
				if got := rgba.RGBAAt(x, y); got != (color.RGBA{r, g, b, 255}) {
					t.Fatalf("%dx%d (%d,%d): rgba %v, want %v", sz.w, sz.h, x, y, got, color.RGBA{r, g, b, 255})
				}
			}
		}
		// image/draw's YCbCr path (what a renderer does with our frame)
		// agrees with the direct conversion.
		drawn := image.NewRGBA(ycc.Bounds())
		draw.Draw(drawn, drawn.Rect, ycc, image.Point{}, draw.Src)
		if string(drawn.Pix) != string(rgba.Pix) {
			t.Fatalf("%dx%d: draw of the YCbCr differs from YUYVToRGBA", sz.w, sz.h)
		}
		// Luma of the YCbCr is its Y plane, equal to the gray conversion.
		if l := Luma(ycc); string(l.Pix[:sz.w*sz.h]) != string(gray.Pix) {
			t.Fatalf("%dx%d: Luma(YCbCr) differs from YUYVToGray", sz.w, sz.h)
		}
	}
}

func TestYUYVToYCbCrReusesDst(t *testing.T) {
	a := randomYUYV(8, 4, 1)
	b := randomYUYV(8, 4, 2)
	first, err := YUYVToYCbCr(nil, a, 8, 4)
	if err != nil {
		t.Fatal(err)
	}
	y0 := &first.Y[0]
	second, err := YUYVToYCbCr(first, b, 8, 4)
	if err != nil || second != first || &second.Y[0] != y0 {
		t.Fatalf("right-sized dst not reused (%v)", err)
	}
	if second.YCbCrAt(3, 2) != wantYCbCr(b, 8, 3, 2) {
		t.Fatal("reused dst holds stale pixels")
	}
	other, err := YUYVToYCbCr(first, randomYUYV(16, 4, 3), 16, 4)
	if err != nil || other == first || other.Bounds().Dx() != 16 {
		t.Fatalf("wrong-sized dst reused (%v)", err)
	}
}

func TestYUYVRejectsBadInput(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 4, 2))
	rgba := image.NewRGBA(image.Rect(0, 0, 4, 2))
	cases := []struct {
		name string
		src  []byte
		w, h int
		want string
	}{
		{"odd width", make([]byte, 100), 5, 2, "odd width 5"},
		{"short buffer", make([]byte, 15), 4, 2, "short frame: 15 bytes"},
		{"empty", nil, 4, 2, "short frame"},
		{"zero size", make([]byte, 16), 0, 2, "bad size"},
		{"negative", make([]byte, 16), 4, -2, "bad size"},
	}
	for _, c := range cases {
		_, err1 := YUYVToYCbCr(nil, c.src, c.w, c.h)
		err2 := YUYVToGray(gray, c.src, c.w, c.h)
		err3 := YUYVToRGBA(rgba, c.src, c.w, c.h)
		for _, err := range []error{err1, err2, err3} {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
			}
		}
	}
	src := make([]byte, 4*2*2)
	if err := YUYVToGray(image.NewGray(image.Rect(0, 0, 2, 2)), src, 4, 2); err == nil {
		t.Error("gray dst of the wrong size accepted")
	}
	if err := YUYVToRGBA(nil, src, 4, 2); err == nil {
		t.Error("nil rgba dst accepted")
	}
}

// Benchmarks: sizes a kiosk camera gives. The copy is the floor a
// conversion is measured against; SetBytes is the YUYV input size.

var benchSizes = []struct {
	name string
	w, h int
}{{"640x480", 640, 480}, {"1280x720", 1280, 720}, {"1920x1080", 1920, 1080}}

func BenchmarkCopyFrame(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			src := randomYUYV(sz.w, sz.h, 7)
			dst := make([]byte, len(src))
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				copy(dst, src)
			}
		})
	}
}

func BenchmarkYUYVToYCbCr(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			src := randomYUYV(sz.w, sz.h, 7)
			dst, _ := YUYVToYCbCr(nil, src, sz.w, sz.h)
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if _, err := YUYVToYCbCr(dst, src, sz.w, sz.h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkYUYVToGray(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			src := randomYUYV(sz.w, sz.h, 7)
			dst := image.NewGray(image.Rect(0, 0, sz.w, sz.h))
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if err := YUYVToGray(dst, src, sz.w, sz.h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkYUYVToRGBA(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			src := randomYUYV(sz.w, sz.h, 7)
			dst := image.NewRGBA(image.Rect(0, 0, sz.w, sz.h))
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				if err := YUYVToRGBA(dst, src, sz.w, sz.h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
