package camera

import (
	"image"
	"math/rand/v2"
	"testing"
)

func TestQRMaxFilterMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][2]int{{1, 1}, {5, 3}, {17, 9}, {40, 33}} {
		g := image.NewGray(image.Rect(0, 0, sz[0], sz[1]))
		for i := range g.Pix {
			g.Pix[i] = uint8(rng.IntN(256))
		}
		for _, r := range []int{1, 2, 5} {
			got := qrMaxFilter(g, r)
			for y := range sz[1] {
				for x := range sz[0] {
					var want uint8
					for yy := max(0, y-r); yy <= min(sz[1]-1, y+r); yy++ {
						for xx := max(0, x-r); xx <= min(sz[0]-1, x+r); xx++ {
							want = max(want, g.Pix[yy*g.Stride+xx])
						}
					}
					if got.Pix[y*sz[0]+x] != want {
						t.Fatalf("%v r=%d (%d,%d): %d, want %d", sz, r, x, y, got.Pix[y*sz[0]+x], want)
					}
				}
			}
		}
	}
}

func TestQRFlattenEvensBands(t *testing.T) {
	// Light modules under dark and bright bands come out equally white.
	g := image.NewGray(image.Rect(0, 0, 60, 1))
	for x := range 60 {
		light := 100 + 100*(x/20%2) // bands of 20 px at 100 and 200
		if x%4 < 2 {
			g.Pix[x] = uint8(light)
		} else {
			g.Pix[x] = uint8(light / 5)
		}
	}
	f := qrFlatten(g, 2)
	for x := range 60 {
		if x%4 < 2 && f.Pix[x] != 255 {
			t.Fatalf("light pixel %d: %d, want 255", x, f.Pix[x])
		}
		if x%4 >= 2 && f.Pix[x] > 60 {
			t.Fatalf("dark pixel %d: %d", x, f.Pix[x])
		}
	}
}

func BenchmarkQRFlatten(b *testing.B) {
	g := image.NewGray(image.Rect(0, 0, 640, 480))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range g.Pix {
		g.Pix[i] = uint8(rng.IntN(256))
	}
	for b.Loop() {
		qrFlatten(g, 5)
	}
}
