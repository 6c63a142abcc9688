package sim

import (
	"image"
	"testing"

	"almatel.kz/signkiosk/camera/face"
	"almatel.kz/signkiosk/camera/face/facetest"
)

// The simulator's liveness verdict on sequences built from pigo's sample face.
func TestJudgeFrames(t *testing.T) {
	a, err := face.NewAnalyzer(face.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := facetest.Sample(t)
	at := func(cx, fw int) image.Image { return facetest.Scene(s, 640, 480, cx, 240, fw) }
	two := facetest.Scene(s, 640, 480, 170, 240, 240)
	facetest.Place(two, s, 470, 240, 240)
	for _, c := range []struct {
		name   string
		frames []image.Image
		want   string
	}{
		{"turn", []image.Image{at(320, 300), at(340, 300), at(380, 300)}, ""},
		{"closer", []image.Image{at(320, 300), at(320, 330), at(320, 380)}, ""},
		{"one frame", []image.Image{at(320, 300)}, ReasonNotLive},
		{"tiny frames", []image.Image{facetest.Backdrop(32, 32, 1), facetest.Backdrop(32, 32, 2)}, ReasonNoFace},
		{"blank", []image.Image{at(320, 300), facetest.Backdrop(640, 480, 3)}, ReasonNoFace},
		{"texture", []image.Image{facetest.Noise(640, 480, 1), at(320, 300)}, ReasonNoFace},
		{"two faces", []image.Image{at(320, 300), two}, ReasonManyFaces},
		{"dark", []image.Image{facetest.Scale(at(320, 300).(*image.Gray), 0.35), at(320, 300)}, ReasonPoorQuality},
		{"blurred", []image.Image{at(320, 300), facetest.Blur(at(320, 300).(*image.Gray), 6)}, ReasonPoorQuality},
		{"swapped subject", []image.Image{at(160, 200), at(480, 200)}, ReasonNotLive},
		{"swapped size", []image.Image{at(320, 200), at(320, 400)}, ReasonNotLive},
	} {
		if got := judgeFrames(a, c.frames); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
