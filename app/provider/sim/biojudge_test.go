package sim

import (
	"image"
	"testing"

	"almatel.kz/signkiosk/app/provider"
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
		if _, got := judgeFrames(a, c.frames); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// The order of the moves, judged from the frames alone against the first
// (rest) frame: left is the subscriber's, toward the image's right.
func TestJudgeMoves(t *testing.T) {
	a, err := face.NewAnalyzer(face.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := facetest.Sample(t)
	at := func(cx, fw int) image.Image { return facetest.Scene(s, 640, 480, cx, 240, fw) }
	rest, left, right, closer := at(320, 300), at(380, 300), at(260, 300), at(320, 380)
	for _, c := range []struct {
		name   string
		frames []image.Image
		moves  []string
		want   string
	}{
		{"left", []image.Image{rest, left}, []string{"turn_left"}, ""},
		{"left then closer", []image.Image{rest, left, closer}, []string{"turn_left", "come_closer"}, ""},
		{"right, left, closer", []image.Image{rest, right, rest, left, closer}, []string{"turn_right", "turn_left", "come_closer"}, ""},
		{"an unasked move is not judged", []image.Image{rest, closer, left}, []string{"turn_left"}, ""},
		{"closer then left, asked the other way", []image.Image{rest, closer, left}, []string{"turn_left", "come_closer"}, provider.ReasonWrongOrder},
		{"both at once", []image.Image{rest, at(380, 380)}, []string{"turn_left", "come_closer"}, provider.ReasonWrongOrder},
		{"the other way", []image.Image{rest, right}, []string{"turn_left"}, provider.ReasonMovesNotSeen},
		{"still", []image.Image{rest, rest}, []string{"come_closer"}, provider.ReasonMovesNotSeen},
		{"one missing", []image.Image{rest, left}, []string{"turn_left", "turn_right"}, provider.ReasonMovesNotSeen},
	} {
		if got := judgeAttempt(a, c.frames, c.moves); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
