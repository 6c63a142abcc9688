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
		{"leaning in early, then both in order", []image.Image{rest, closer, left, closer}, []string{"turn_left", "come_closer"}, ""},
	} {
		if got := judgeAttempt(a, c.frames, 1, c.moves); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// Moves are measured from the average of the rest frames the kiosk sent,
// its own baseline: a turn of 0.10 face widths from the average passes
// even where it is short of the mark from one rest frame alone.
func TestJudgeMovesFromRestAverage(t *testing.T) {
	a, err := face.NewAnalyzer(face.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := facetest.Sample(t)
	at := func(cx int) image.Image { return facetest.Scene(s, 640, 480, cx, 240, 300) }
	// rest frames at 320, 340 and 360 average 340; the turn at 370 is
	// 0.10 widths (0.67 of the mark) from it, 0.03 from the newest alone
	frames := []image.Image{at(320), at(340), at(360), at(370)}
	if got := judgeAttempt(a, frames, 3, []string{"turn_left"}); got != "" {
		t.Errorf("from the average of three: %q, want a pass", got)
	}
	if got := judgeAttempt(a, frames[2:], 1, []string{"turn_left"}); got != provider.ReasonMovesNotSeen {
		t.Errorf("from the newest rest frame alone: %q, want %q", got, provider.ReasonMovesNotSeen)
	}
}

// A submission starts with one to three frames at rest; a rest frame among
// the moves' is malformed.
func TestRestFrames(t *testing.T) {
	f := func(rest ...bool) []provider.Frame {
		out := make([]provider.Frame, len(rest))
		for i, r := range rest {
			out[i].Rest = r
		}
		return out
	}
	for _, c := range []struct {
		frames []provider.Frame
		n      int
		ok     bool
	}{
		{f(true, false), 1, true},
		{f(true, true, true, false, false), 3, true},
		{f(false, false), 0, false},
		{f(true, true), 2, true},
		{f(true, true, true, true, false), 0, false},
		{f(true, false, true, false), 0, false},
	} {
		n, ok := restFrames(c.frames)
		if ok != c.ok || (ok && n != c.n) {
			t.Errorf("%v: %d %v, want %d %v", c.frames, n, ok, c.n, c.ok)
		}
	}
}
