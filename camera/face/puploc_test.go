//go:debug randseednop=0

package face

import (
	"image"
	"math/rand"
	"testing"

	pigo "github.com/esimov/pigo/core"

	"almatel.kz/signkiosk/assets"
	"almatel.kz/signkiosk/camera/face/facetest"
)

// TestPuplocMatchesPigo: for the same perturbations (math/rand's global
// source seeded, as pigo draws them, and the same seed for ours) the
// locator answers exactly what pigo's RunDetector does, at the eye points
// the analyser uses and at points off the face and near the frame's edges.
func TestPuplocMatchesPigo(t *testing.T) {
	theirs, err := pigo.NewPuplocCascade().UnpackCascade(assets.PupilLocator())
	if err != nil {
		t.Fatal(err)
	}
	ours, err := parsePuploc(assets.PupilLocator())
	if err != nil {
		t.Fatal(err)
	}
	s := facetest.Sample(t)
	frames := []*image.Gray{
		facetest.Scene(s, 1280, 720, 640, 360, 420),
		facetest.Scene(s, 640, 360, 200, 150, 160),
		facetest.Blur(facetest.Scene(s, 1280, 720, 900, 300, 300), 3),
		facetest.Noise(320, 240, 2),
	}
	n := 0
	for fi, g := range frames {
		img := pigo.ImageParams{Pixels: g.Pix, Rows: g.Rect.Dy(), Cols: g.Rect.Dx(), Dim: g.Stride}
		for k := range 40 {
			row := (k * 37) % img.Rows
			col := (k * 91) % img.Cols
			scale := float32(8 + (k*13)%90)
			seed := int64(1000*fi + k)
			rand.Seed(seed) //lint:ignore SA1019 pigo draws from the global source; the test seeds it to replay the same draws
			want := theirs.RunDetector(pigo.Puploc{Row: row, Col: col, Scale: scale, Perturbs: 63}, img, 0, false)
			gr, gc := ours.locate(row, col, scale, 63, rand.New(rand.NewSource(seed)).Float32, img)
			if gr != want.Row || gc != want.Col {
				t.Fatalf("frame %d, from (%d,%d) scale %v: (%d,%d), pigo's (%d,%d)", fi, row, col, scale, gr, gc, want.Row, want.Col)
			}
			n++
		}
	}
	t.Logf("%d locations, all pigo's", n)
}

func TestParsePuplocRejectsBadCascades(t *testing.T) {
	good := assets.PupilLocator()
	for name, b := range map[string][]byte{
		"empty":     nil,
		"header":    good[:15],
		"truncated": good[:len(good)/2],
		"zero":      make([]byte, 64),
	} {
		if _, err := parsePuploc(b); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func BenchmarkPupils(b *testing.B) {
	theirs, _ := pigo.NewPuplocCascade().UnpackCascade(assets.PupilLocator())
	ours, _ := parsePuploc(assets.PupilLocator())
	g := facetest.Scene(facetest.Sample(b), 640, 360, 320, 180, 200)
	img := pigo.ImageParams{Pixels: g.Pix, Rows: g.Rect.Dy(), Cols: g.Rect.Dx(), Dim: g.Stride}
	b.Run("ours", func(b *testing.B) {
		for b.Loop() {
			ours.locate(165, 285, 50, 63, rand.Float32, img)
		}
	})
	b.Run("pigo", func(b *testing.B) {
		for b.Loop() {
			theirs.RunDetector(pigo.Puploc{Row: 165, Col: 285, Scale: 50, Perturbs: 63}, img, 0, false)
		}
	})
}
