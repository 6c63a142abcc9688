package face

import (
	"image"
	"slices"
	"sync"
	"testing"

	"almatel.kz/signkiosk/camera/face/facetest"
)

func newAnalyzer(t testing.TB) *Analyzer {
	t.Helper()
	a, err := NewAnalyzer(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Every guidance code from a real frame built from pigo's sample face.
func TestGuidanceOnSampleFrames(t *testing.T) {
	a := newAnalyzer(t)
	s := facetest.Sample(t)
	const w, h = 1280, 720
	at := func(cx, cy, fw int) *image.Gray { return facetest.Scene(s, w, h, cx, cy, fw) }
	two := at(380, 360, 360)
	facetest.Place(two, s, 900, 360, 360)
	for _, c := range []struct {
		name string
		g    *image.Gray
		want string
	}{
		{"blank wall", facetest.Backdrop(w, h, 1), NoFace},
		{"texture", facetest.Noise(w, h, 1), NoFace},
		{"two faces", two, ManyFaces},
		{"far", at(640, 360, 200), ComeCloser},
		{"too near", at(640, 400, 820), MoveBack},
		{"off to the side", at(300, 360, 420), Center},
		{"off to the top", at(640, 190, 420), Center},
		{"dark", facetest.Scale(at(640, 360, 420), 0.4), MoreLight},
		{"bright", facetest.Scale(at(640, 360, 420), 1.7), LessLight},
		{"blurred", facetest.Blur(at(640, 360, 420), 4), HoldStill},
		{"good", at(640, 360, 420), OK},
		{"good, small frame", facetest.Scene(s, 160, 120, 80, 60, 80), OK},
	} {
		an := a.Analyze(c.g)
		if an.Guidance != c.want {
			t.Errorf("%s: %s, want %s (%+v)", c.name, an.Guidance, c.want, an)
		}
	}
}

// The priority order on made-up analyses: the first problem wins.
func TestGuidancePriority(t *testing.T) {
	a := newAnalyzer(t)
	good := Analysis{Faces: 1, Size: 0.5, Brightness: 128, Sharpness: 300, Eyes: true}
	for _, c := range []struct {
		mod  func(*Analysis)
		want string
	}{
		{func(x *Analysis) { x.Faces = 0 }, NoFace},
		{func(x *Analysis) { x.Faces, x.Size, x.Brightness = 2, 0.1, 10 }, ManyFaces},
		{func(x *Analysis) { x.Size, x.OffX, x.Brightness = 0.2, 0.4, 10 }, ComeCloser},
		{func(x *Analysis) { x.Size, x.OffX = 0.9, 0.4 }, MoveBack},
		{func(x *Analysis) { x.OffY, x.Brightness = -0.3, 10 }, Center},
		{func(x *Analysis) { x.Brightness, x.Sharpness = 40, 1 }, MoreLight},
		{func(x *Analysis) { x.Brightness, x.Sharpness = 230, 1 }, LessLight},
		{func(x *Analysis) { x.Sharpness, x.Eyes = 5, false }, HoldStill},
		{func(x *Analysis) { x.Eyes = false }, LookAtCamera},
		{func(*Analysis) {}, OK},
	} {
		an := good
		c.mod(&an)
		if got := a.guide(an); got != c.want {
			t.Errorf("%+v: %s, want %s", an, got, c.want)
		}
	}
	if got := Guidances(); len(got) != 10 || got[0] != NoFace || got[9] != OK || slices.Contains(got, "") {
		t.Fatalf("Guidances() = %v", got)
	}
}

// Measurements of the sample face: eyes, a frontal yaw, and the box where
// the face was put.
func TestAnalyzeMeasures(t *testing.T) {
	a := newAnalyzer(t)
	s := facetest.Sample(t)
	an := a.Analyze(facetest.Scene(s, 1280, 720, 700, 380, 420))
	c := an.Box.Min.Add(an.Box.Max).Div(2)
	if an.Faces != 1 || !an.Eyes || abs(c.X-700) > 30 || abs(c.Y-380) > 40 {
		t.Fatalf("%+v", an)
	}
	if an.Yaw < -0.08 || an.Yaw > 0.08 || an.Pupils[0].X >= an.Pupils[1].X {
		t.Fatalf("frontal face: yaw %.3f pupils %v", an.Yaw, an.Pupils)
	}
	// A sub-image (as camera.Luma gives for a YCbCr frame) measures the same
	// face in the parent's coordinates.
	big := facetest.Scene(s, 1280, 720, 700, 380, 420)
	sub := big.SubImage(image.Rect(100, 50, 1200, 700)).(*image.Gray)
	if an2 := a.Analyze(sub); an2.Faces != 1 || abs(an2.Box.Min.X-an.Box.Min.X) > 30 {
		t.Fatalf("sub-image: %+v vs %+v", an2.Box, an.Box)
	}
}

// Textures and plain walls never make a face (the MinScore and cluster
// tuning against false positives).
func TestNoFalsePositives(t *testing.T) {
	a := newAnalyzer(t)
	for seed := range uint64(8) {
		for _, g := range []*image.Gray{facetest.Noise(1280, 720, seed), facetest.Backdrop(1280, 720, seed), facetest.Noise(320, 240, seed)} {
			if an := a.Analyze(g); an.Faces != 0 {
				t.Fatalf("seed %d: %d faces at %v (score %.1f)", seed, an.Faces, an.Box, an.Score)
			}
		}
	}
}

// One Analyzer serves several goroutines (run with -race).
func TestAnalyzeConcurrently(t *testing.T) {
	a := newAnalyzer(t)
	s := facetest.Sample(t)
	g := facetest.Scene(s, 640, 480, 320, 240, 260)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				if an := a.Analyze(g); an.Faces != 1 {
					t.Errorf("%d faces", an.Faces)
				}
			}
		})
	}
	wg.Wait()
}

// NewAnalyzer parses ~1.4 MB of cascades: cheap enough per capture attempt.
func BenchmarkNewAnalyzer(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewAnalyzer(Config{}); err != nil {
			b.Fatal(err)
		}
	}
}
