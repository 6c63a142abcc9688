package camera

import (
	"image"
	"math/rand/v2"
	"testing"

	"github.com/makiuchi-d/gozxing"
)

// qrGozxingBits binarises g with gozxing's own binariser.
func qrGozxingBits(t testing.TB, g *image.Gray, global bool) (*gozxing.BitMatrix, error) {
	t.Helper()
	w, h := g.Rect.Dx(), g.Rect.Dy()
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.Pix, g.Stride, h, 0, 0, w, h, false)
	if err != nil {
		t.Fatal(err)
	}
	if global {
		return gozxing.NewGlobalHistgramBinarizer(src).GetBlackMatrix()
	}
	return gozxing.NewHybridBinarizer(src).GetBlackMatrix()
}

func qrSameBits(t *testing.T, name string, got, want *gozxing.BitMatrix) {
	t.Helper()
	if got.GetWidth() != want.GetWidth() || got.GetHeight() != want.GetHeight() {
		t.Fatalf("%s: %d×%d, want %d×%d", name, got.GetWidth(), got.GetHeight(), want.GetWidth(), want.GetHeight())
	}
	diff := 0
	for y := range want.GetHeight() {
		for x := range want.GetWidth() {
			if got.Get(x, y) != want.Get(x, y) {
				diff++
			}
		}
	}
	if diff > 0 {
		t.Fatalf("%s: %d pixels differ from gozxing's", name, diff)
	}
}

// TestQRBinarisersMatchGozxing: the fast binarisers give gozxing's bits
// exactly, on camera frames and on odd sizes whose last blocks overlap.
func TestQRBinarisersMatchGozxing(t *testing.T) {
	var imgs []*image.Gray
	set, _ := qrBuildSet(t, qrSetHard, 37)
	for _, s := range set {
		imgs = append(imgs, qrGray(s.img))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sz := range [][2]int{{40, 40}, {41, 57}, {77, 45}, {333, 201}, {1283, 719}} {
		g := image.NewGray(image.Rect(0, 0, sz[0], sz[1]))
		for i := range g.Pix {
			// Patches of flat grey and of noise: both branches of the black point.
			if (i/sz[0]/16+i%sz[0]/16)%2 == 0 {
				g.Pix[i] = uint8(100 + rng.IntN(8))
			} else {
				g.Pix[i] = uint8(rng.IntN(256))
			}
		}
		imgs = append(imgs, g)
	}
	for i, g := range imgs {
		want, _ := qrGozxingBits(t, g, false)
		qrSameBits(t, "hybrid", qrHybridBits(g), want)
		want, errWant := qrGozxingBits(t, g, true)
		got, errGot := qrGlobalBits(g)
		if (errWant == nil) != (errGot == nil) {
			t.Fatalf("image %d: global: error %v, gozxing's %v", i, errGot, errWant)
		}
		if errWant == nil {
			qrSameBits(t, "global", got, want)
		}
	}
}

func BenchmarkQRBinarise(b *testing.B) {
	set, _ := qrBuildSet(b, qrSetHard, 50)
	g := qrGray(set[0].img)
	b.Run("hybrid", func(b *testing.B) {
		for b.Loop() {
			qrHybridBits(g)
		}
	})
	b.Run("gozxing-hybrid", func(b *testing.B) {
		for b.Loop() {
			qrGozxingBits(b, g, false)
		}
	})
	b.Run("global", func(b *testing.B) {
		for b.Loop() {
			_, _ = qrGlobalBits(g)
		}
	})
	b.Run("otsu", func(b *testing.B) {
		for b.Loop() {
			qrCutBits(g, qrOtsuCut(g))
		}
	})
}
