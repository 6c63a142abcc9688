package camera

import (
	"fmt"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// TestQRFindPatternsMatchesGozxing: the run-based finder keeps the same
// centres (position, module size, count) and picks the same three
// patterns as gozxing's Find, or fails as it does, on every frame of both
// sets under each binariser, at 2× too, and on noise and stripes.
func TestQRFindPatternsMatchesGozxing(t *testing.T) {
	step := 1
	if testing.Short() || qrSetRace() {
		step = 7
	}
	var imgs []*image.Gray
	for _, spec := range []qrSetSpec{qrSetHard, qrSetIssue5} {
		set, _ := qrBuildSet(t, spec, step)
		for _, s := range set {
			imgs = append(imgs, qrGray(s.img))
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sz := range [][2]int{{21, 21}, {97, 64}, {640, 480}} {
		g := image.NewGray(image.Rect(0, 0, sz[0], sz[1]))
		for i := range g.Pix {
			g.Pix[i] = uint8(rng.IntN(256))
			if rng.IntN(3) == 0 { // stripes of 1:1:3:1:1 look-alikes
				g.Pix[i] = uint8(255 * ((i % sz[0] / 3) % 2))
			}
		}
		imgs = append(imgs, g)
	}
	compared := 0
	for k, g := range imgs {
		var mats []*gozxing.BitMatrix
		for _, cut := range []qrCut{qrCutHybrid, qrCutGlobal, qrCutOtsu} {
			if m, err := (qrPass{cut: cut}).bits(g); err == nil {
				mats = append(mats, m)
			}
		}
		if k%5 == 0 && g.Rect.Dx() >= 40 {
			mats = append(mats, qrHybridBits(qrUpscale2x(g)))
		}
		for b, m := range mats {
			want := detector.NewFinderPatternFinder(m, nil)
			wantInfo, wantErr := want.Find(qrHints)
			got := detector.NewFinderPatternFinder(m, nil)
			gotInfo, _, gotErr := qrFindPatterns(got, false)
			where := fmt.Sprintf("image %d, binariser %d", k, b)
			if (wantErr == nil) != (gotErr == nil) {
				t.Fatalf("%s: error %v, gozxing's %v", where, gotErr, wantErr)
			}
			if w, g := qrCentresString(want.GetPossibleCenters()), qrCentresString(got.GetPossibleCenters()); w != g {
				t.Fatalf("%s: centres\n%s\nwant gozxing's\n%s", where, g, w)
			}
			if wantErr == nil {
				w := qrCentresString([]*detector.FinderPattern{wantInfo.GetTopLeft(), wantInfo.GetTopRight(), wantInfo.GetBottomLeft()})
				g := qrCentresString([]*detector.FinderPattern{gotInfo.GetTopLeft(), gotInfo.GetTopRight(), gotInfo.GetBottomLeft()})
				if w != g {
					t.Fatalf("%s: patterns %s, want gozxing's %s", where, g, w)
				}
			}
			compared++
		}
	}
	t.Logf("%d bit matrices from %d images: the same centres and patterns", compared, len(imgs))
}

func qrCentresString(cs []*detector.FinderPattern) string {
	s := ""
	for _, c := range cs {
		s += fmt.Sprintf("(%v,%v ms %v ×%d) ", c.GetX(), c.GetY(), c.GetEstimatedModuleSize(), c.GetCount())
	}
	return s
}

func BenchmarkQRFindPatterns(b *testing.B) {
	set, _ := qrBuildSet(b, qrSetHard, 50)
	m := qrHybridBits(qrGray(set[0].img))
	b.Run("runs", func(b *testing.B) {
		for b.Loop() {
			_, _, _ = qrFindPatterns(detector.NewFinderPatternFinder(m, nil), false)
		}
	})
	b.Run("gozxing", func(b *testing.B) {
		for b.Loop() {
			_, _ = detector.NewFinderPatternFinder(m, nil).Find(qrHints)
		}
	})
}
