package camera

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"slices"
	"sync"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/camera/face"
	"almatel.kz/signkiosk/camera/face/facetest"
)

// script is a Source over prepared frames on a fake clock: each Read moves
// the clock one frame period; past the end it repeats the last frame (the
// subscriber holds still), or fails with err when set.
type script struct {
	mu     sync.Mutex
	frames []image.Image
	i      int
	now    time.Time
	err    error
}

func newScript(frames ...image.Image) *script {
	return &script{frames: frames, now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
}

func (s *script) Read(ctx context.Context) (image.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = s.now.Add(66 * time.Millisecond)
	if s.i >= len(s.frames) && s.err != nil {
		return nil, s.err
	}
	img := s.frames[min(s.i, len(s.frames)-1)]
	s.i++
	return img, nil
}

func (s *script) Close() error { return nil }

func (s *script) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// at is the sample face in a 640×480 frame, as the camera's YCbCr.
func at(t *testing.T, s *image.Gray, x, w int) image.Image {
	g := facetest.Scene(s, 640, 480, x, 240, w)
	y := image.NewYCbCr(g.Rect, image.YCbCrSubsampleRatio420)
	copy(y.Y, g.Pix)
	for i := range y.Cb {
		y.Cb[i], y.Cr[i] = 128, 128
	}
	return y
}

func moves(t *testing.T, s *image.Gray, from, to, w, n int) []image.Image {
	var out []image.Image
	for i := range n + 1 {
		out = append(out, at(t, s, from+(to-from)*i/n, w))
	}
	return out
}

func capturer(t *testing.T, src *script) (Capturer, *[]Live) {
	a, err := face.NewAnalyzer(face.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var lives []Live
	return Capturer{Source: src, Analyzer: a, Now: src.clock, FaceWait: 2 * time.Second, Limit: 2500 * time.Millisecond,
		OnLive: func(l Live) { lives = append(lives, l) }}, &lives
}

func wantCode(t *testing.T, err error, target error, code string) {
	t.Helper()
	var cc interface{ CaptureCode() string }
	if !errors.Is(err, target) || !errors.As(err, &cc) || cc.CaptureCode() != code {
		t.Fatalf("error %v, want %v with code %s", err, target, code)
	}
	if !slices.Contains(session.CaptureCodes(), code) {
		t.Fatalf("code %s is not one of the session's capture codes", code)
	}
}

// A subscriber who first stands too far, then steps up and turns to their
// left: three JPEG frames, each one face, and the live feed goes through
// every phase with guidance and progress.
func TestCaptureTurn(t *testing.T) {
	s := facetest.Sample(t)
	seq := append(moves(t, s, 320, 320, 120, 3), moves(t, s, 320, 320, 260, 5)...)
	seq = append(seq, moves(t, s, 320, 400, 260, 8)...)
	src := newScript(seq...)
	c, lives := capturer(t, src)
	frames, err := c.Capture(context.Background(), []string{"turn_left"})
	if err != nil {
		t.Fatal(err)
	}
	if _, moved := splitRest(t, frames); len(moved) != 2 {
		t.Fatalf("%d frames of the move, want 2", len(moved))
	}
	for i, f := range frames {
		if i > 0 && !f.CapturedAt.After(frames[i-1].CapturedAt) {
			t.Fatalf("frame %d taken at %v, not after the one before", i, f.CapturedAt)
		}
		img, err := jpeg.Decode(bytes.NewReader(f.JPEG))
		if err != nil {
			t.Fatal(err)
		}
		if an := c.Analyzer.Analyze(Luma(img)); an.Faces != 1 {
			t.Fatalf("frame %d: %d faces", i, an.Faces)
		}
	}
	l := *lives
	if l[0].Phase != PhaseWaiting || l[0].Guidance != face.ComeCloser || l[0].Face.Empty() || l[0].Remaining <= 0 {
		t.Fatalf("first live: %+v", l[0])
	}
	last := l[len(l)-1]
	if last.Phase != PhaseDone || last.Progress != 1 || last.Challenge != "turn_left" || !slices.Equal(last.Moves, []string{"turn_left"}) {
		t.Fatalf("last live: %+v", last)
	}
	if !slices.ContainsFunc(l, func(x Live) bool { return x.Phase == PhaseChallenge && x.Progress > 0 && x.Progress < 1 }) {
		t.Fatal("no challenge progress reported")
	}
}

// A sequence of moves, one at a time, each measured from the pose at rest:
// the subscriber turns to their left, swings to their right through the
// middle, then comes closer. The live feed says which move runs, marks each
// done, and the frames are the rest frames and two per move, in order.
func TestCaptureSequence(t *testing.T) {
	s := facetest.Sample(t)
	rest := moves(t, s, 320, 320, 260, 5)
	left := moves(t, s, 320, 390, 260, 6)
	right := moves(t, s, 390, 250, 260, 10)
	closer := []image.Image{}
	for w := 260; w <= 340; w += 10 {
		closer = append(closer, at(t, s, 250, w))
	}
	src := newScript(slices.Concat(rest, left, right, closer)...)
	c, lives := capturer(t, src)
	c.Beat = -1 // the script's frames are the moves; a beat would spend some
	seq := []string{"turn_left", "turn_right", "come_closer"}
	frames, err := c.Capture(context.Background(), seq)
	if err != nil {
		t.Fatal(err)
	}
	if _, moved := splitRest(t, frames); len(moved) != 2*len(seq) {
		t.Fatalf("%d frames of the moves, want %d", len(moved), 2*len(seq))
	}
	var done []int
	for _, l := range *lives {
		if !slices.Equal(l.Moves, seq) {
			t.Fatalf("live without the sequence: %+v", l)
		}
		if l.Phase == PhaseChallenge && l.Challenge != seq[l.Move] {
			t.Fatalf("move %d shown as %q", l.Move, l.Challenge)
		}
		if l.Phase == PhaseMoveDone {
			done = append(done, l.Move)
		}
	}
	if !slices.Equal(done, []int{0, 1, 2}) {
		t.Fatalf("moves marked done: %v", done)
	}
}

// The beat between moves keeps the preview live with the move marked done,
// for Beat of the capture's clock.
func TestCaptureBeat(t *testing.T) {
	s := facetest.Sample(t)
	rest := moves(t, s, 320, 320, 260, 5)
	left := moves(t, s, 320, 390, 260, 6)
	hold := slices.Repeat([]image.Image{at(t, s, 390, 260)}, 20)
	right := moves(t, s, 390, 250, 260, 10)
	src := newScript(slices.Concat(rest, left, hold, right)...)
	c, lives := capturer(t, src)
	c.Beat = 500 * time.Millisecond
	if _, err := c.Capture(context.Background(), []string{"turn_left", "turn_right"}); err != nil {
		t.Fatal(err)
	}
	var beat int
	for _, l := range *lives {
		if l.Phase == PhaseMoveDone && l.Move == 0 {
			beat++
		}
	}
	// 500 ms at the script's 66 ms a frame, plus the passing frame's own
	if beat < 8 {
		t.Fatalf("%d frames marked done after the first move", beat)
	}
}

// A challenge the kiosk cannot act out is refused before the camera is read.
func TestCaptureBadChallenge(t *testing.T) {
	for _, seq := range [][]string{nil, {"turn_left", "turn_right", "come_closer", "turn_left"}, {"blink"}} {
		src := newScript(facetest.Backdrop(64, 48, 1))
		c, _ := capturer(t, src)
		if _, err := c.Capture(context.Background(), seq); !errors.Is(err, ErrBadChallenge) {
			t.Fatalf("%v: %v", seq, err)
		}
		if src.i != 0 {
			t.Fatalf("%v: camera read", seq)
		}
	}
}

// The capture fails with the kiosk's codes: no face, two faces, a still
// face, a wrong turn, a swap to another face, and a camera that goes away.
func TestCaptureFailures(t *testing.T) {
	s := facetest.Sample(t)
	good := moves(t, s, 320, 320, 260, 7) // held past the capture's 400 ms settle
	two := facetest.Scene(s, 640, 480, 170, 240, 220)
	facetest.Place(two, s, 470, 240, 220)
	for _, c := range []struct {
		name   string
		frames []image.Image
		target error
		code   string
	}{
		{"nobody", []image.Image{facetest.Backdrop(640, 480, 1)}, ErrNoFace, "capture_no_face"},
		{"too dark", []image.Image{facetest.Scale(facetest.Scene(s, 640, 480, 320, 240, 260), 0.35)}, ErrNoFace, "capture_no_face"},
		{"two people", []image.Image{two}, ErrManyFaces, "capture_many_faces"},
		{"still", good, ErrChallengeTimeout, "capture_challenge"},
		{"wrong way", slices.Concat(good, moves(t, s, 320, 240, 260, 8)), ErrChallengeTimeout, "capture_challenge"},
		{"swapped", slices.Concat(good, []image.Image{at(t, s, 320, 260), at(t, s, 500, 200)}), ErrChallengeFailed, "capture_challenge"},
		{"second person joins", slices.Concat(good, []image.Image{two, two}), ErrManyFaces, "capture_many_faces"},
	} {
		src := newScript(c.frames...)
		cp, _ := capturer(t, src)
		frames, err := cp.Capture(context.Background(), []string{"turn_left"})
		if frames != nil {
			t.Fatalf("%s: frames returned", c.name)
		}
		t.Run(c.name, func(t *testing.T) { wantCode(t, err, c.target, c.code) })
	}

	src := newScript(good...)
	src.err = ErrDisconnected
	cp, _ := capturer(t, src)
	_, err := cp.Capture(context.Background(), []string{"come_closer"})
	wantCode(t, err, ErrDisconnected, "camera_gone")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := cp.Capture(ctx, []string{"turn_left"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// The demo's synthetic subscriber acts every sequence out and passes, as in
// a demo kiosk session, each move well inside its limit. The source and the
// capture share a fake clock: the frames come at the source's 15 fps of
// that clock however long the analysis takes on this machine, so the time
// checked is what a subscriber would see, and a loaded machine cannot fail
// the test.
func TestCaptureDemoSubscriber(t *testing.T) {
	seqs := [][]string{{"turn_right", "come_closer", "turn_left"}, {"come_closer"}, {"turn_left", "turn_right"},
		{"turn_left"}, {"turn_right"}, {"come_closer", "turn_left"}, {"turn_right", "turn_left", "come_closer"}}
	if testing.Short() {
		seqs = seqs[:3] // every move, every kind of follow-up
	}
	for _, seq := range seqs {
		clk := newFakeClock()
		src := NewSynthetic(320, 240, 15)
		src.Clock = clk
		start := clk.Now()
		frames, err := Capturer{Source: src, Now: clk.Now}.Capture(context.Background(), seq)
		if err != nil {
			t.Fatalf("%v: %v", seq, err)
		}
		if _, moved := splitRest(t, frames); len(moved) != 2*len(seq) {
			t.Fatalf("%v: %d frames of the moves", seq, len(moved))
		}
		// the face wait, and per move at most half its 6 s limit and the beat
		if el, most := clk.Now().Sub(start), time.Second+time.Duration(len(seq))*3800*time.Millisecond; el > most {
			t.Fatalf("%v took %v of the session's time, more than %v", seq, el, most)
		}
	}
}

// slowAnalysis is a capture's source on a loaded machine: each Read comes
// d after the previous one returned, as when every analysis takes d. It
// waits on the clock the source and the capture share, so the test is
// about the frames a slow kiosk sees, not about this machine's load.
type slowAnalysis struct {
	Source
	d   time.Duration
	clk Clock
}

func (s slowAnalysis) Read(ctx context.Context) (image.Image, error) {
	if err := s.clk.Sleep(ctx, s.d); err != nil {
		return nil, err
	}
	return s.Source.Read(ctx)
}

func (s slowAnalysis) Act(challenge string) { s.Source.(Actor).Act(challenge) }

// The demo subscriber passes every challenge when the machine is busy: the
// kiosk's 640×480 15 fps demo source, analysed at ~4 fps of its clock.
// The acted move begins at once, as a prompt subscriber's does, so the
// check must not take its baseline from the challenge's first (slow)
// frames, and the pose must last long enough for slow frames to see it.
func TestCaptureDemoSubscriberSlowAnalysis(t *testing.T) {
	a, err := face.NewAnalyzer(face.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range []string{"turn_left", "turn_right", "come_closer"} {
		t.Run(ch, func(t *testing.T) {
			t.Parallel()
			// the synthetic source gives the frame of the clock's now when
			// it is read late, as the hub gives the newest frame
			clk := newFakeClock()
			src := NewSynthetic(640, 480, 15)
			src.Clock = clk
			ctx := context.Background()
			var challenge int
			c := Capturer{Source: slowAnalysis{src, 250 * time.Millisecond, clk}, Analyzer: a, PerMove: 1, Now: clk.Now,
				OnLive: func(l Live) {
					if l.Phase == PhaseChallenge {
						challenge++
					}
				}}
			frames, err := c.Capture(ctx, []string{ch})
			if err != nil {
				t.Fatalf("%v (%d challenge frames)", err, challenge)
			}
			if _, moved := splitRest(t, frames); len(moved) != 1 {
				t.Fatalf("%d frames of the move, want 1", len(moved))
			}
		})
	}
}

// splitRest splits an attempt's frames into the leading ones at rest, one
// to three (the moves' baseline), and the moves' frames, none at rest.
func splitRest(t *testing.T, frames []Frame) (rest, moved []Frame) {
	t.Helper()
	n := 0
	for n < len(frames) && frames[n].Rest {
		n++
	}
	if n < 1 || n > 3 {
		t.Fatalf("%d leading frames at rest, want 1 to 3", n)
	}
	for i, f := range frames[n:] {
		if f.Rest {
			t.Fatalf("frame %d of the moves marked at rest", i)
		}
	}
	return frames[:n], frames[n:]
}

// BenchmarkAnalyze is one kiosk frame's analysis at 1280×720, from the
// decoded camera frame (YCbCr: Luma is a view of its Y plane) to guidance.
// Run with -cpu 1: the kiosk analyses on one core beside the UI.
func BenchmarkAnalyze(b *testing.B) {
	s := facetest.Sample(b)
	a, err := face.NewAnalyzer(face.Config{})
	if err != nil {
		b.Fatal(err)
	}
	ycc := func(g *image.Gray) *image.YCbCr {
		y := image.NewYCbCr(g.Rect, image.YCbCrSubsampleRatio420)
		copy(y.Y, g.Pix)
		return y
	}
	for _, c := range []struct {
		name  string
		frame image.Image
		faces int
	}{
		{"face", ycc(facetest.Scene(s, 1280, 720, 640, 360, 420)), 1},
		{"noface", ycc(facetest.Noise(1280, 720, 1)), 0},
		{"synthetic_rgba", NewSynthetic(1280, 720, 30).draw(0, time.Now()), 1},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if an := a.Analyze(Luma(c.frame)); an.Faces != c.faces {
					b.Fatalf("%d faces", an.Faces)
				}
			}
		})
	}
}

// A frame goes at the usual JPEG quality when the provider will measure
// its face there as the kiosk did, and at a higher one when compression
// would change that (here: a frame with no face at all, which no quality
// saves; the capture never picks those, but it shows the fallback taken).
func TestEncodeFaceQuality(t *testing.T) {
	a, err := face.NewAnalyzer(face.Config{})
	if err != nil {
		t.Fatal(err)
	}
	at := func(img image.Image, q int) int {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
			t.Fatal(err)
		}
		return b.Len()
	}
	withFace := facetest.Sample(t)
	an := a.Analyze(withFace)
	got, err := encodeFace(a, withFace, an)
	if err != nil || len(got) != at(withFace, 85) {
		t.Fatalf("a clear face: %d bytes (%v), want the quality-85 %d", len(got), err, at(withFace, 85))
	}
	blank := image.NewGray(image.Rect(0, 0, 320, 240))
	for i := range blank.Pix {
		blank.Pix[i] = uint8(i * 7)
	}
	got, err = encodeFace(a, blank, an)
	if err != nil || len(got) != at(blank, 100) {
		t.Fatalf("no face: %d bytes (%v), want the quality-100 %d", len(got), err, at(blank, 100))
	}
	moved := an
	moved.Pupils[0].X += 5
	if sameFace(an, moved) || !sameFace(an, an) {
		t.Fatal("sameFace")
	}
	if moved.Eyes = !an.Eyes; sameFace(an, moved) {
		t.Fatal("a pupil lost counts as the same face")
	}
}
