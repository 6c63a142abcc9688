package face

import (
	"errors"
	"image"
	"testing"
	"time"

	"almatel.kz/signkiosk/camera/face/facetest"
)

// pose is where a sequence puts the sample face: centre x, width; 0 width
// for an empty frame, a negative one for two faces.
type pose struct{ x, w int }

const frameGap = 66 * time.Millisecond

// scenes analyses the sample face at each pose once per test: a pose's
// analysis is deterministic, and rendering and analysing a 640×480 scene
// again for every frame of every case was most of this package's test time
// under -race.
type scenes struct {
	a *Analyzer
	s *image.Gray
	m map[pose]Analysis
}

func newScenes(t *testing.T) *scenes {
	return &scenes{a: newAnalyzer(t), s: facetest.Sample(t), m: map[pose]Analysis{}}
}

func (sc *scenes) at(p pose) Analysis {
	if an, ok := sc.m[p]; ok {
		return an
	}
	var g *image.Gray
	switch {
	case p.w == 0:
		g = facetest.Backdrop(640, 480, 5)
	case p.w < 0:
		g = facetest.Scene(sc.s, 640, 480, p.x, 240, -p.w)
		facetest.Place(g, sc.s, p.x+300, 240, -p.w)
	default:
		g = facetest.Scene(sc.s, 640, 480, p.x, 240, p.w)
	}
	an := sc.a.Analyze(g)
	sc.m[p] = an
	return an
}

// run feeds the analysed sequence to a check of challenge and returns its
// outcome after the last frame (frames past the end repeat the last, i.e.
// the subscriber holds the pose until the limit).
func run(t *testing.T, sc *scenes, challenge string, seq []pose) (Status, error) {
	t.Helper()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	c := NewCheck(challenge, t0, 4*time.Second, time.Second)
	for i := 0; ; i++ {
		st, _, err := c.Update(sc.at(seq[min(i, len(seq)-1)]), t0.Add(time.Duration(i)*frameGap))
		if st != Pending {
			return st, err
		}
		if i > 200 {
			t.Fatal("check never ended")
		}
	}
}

// steps moves from a to b in n frames.
func steps(a, b pose, n int) []pose {
	out := make([]pose, 0, n+1)
	for i := range n + 1 {
		out = append(out, pose{a.x + (b.x-a.x)*i/n, a.w + (b.w-a.w)*i/n})
	}
	return out
}

func cat(seqs ...[]pose) []pose {
	var out []pose
	for _, s := range seqs {
		out = append(out, s...)
	}
	return out
}

func TestLivenessChallenges(t *testing.T) {
	sc := newScenes(t)
	still := []pose{{320, 260}, {321, 260}, {319, 261}, {320, 259}} // detector-scale jitter
	hold := steps(pose{320, 260}, pose{320, 260}, 4)
	// the subscriber's left is the unmirrored image's right (+x)
	toLeft := cat(hold, steps(pose{320, 260}, pose{390, 260}, 8))
	toRight := cat(hold, steps(pose{320, 260}, pose{250, 260}, 8))
	closer := cat(hold, steps(pose{320, 260}, pose{320, 340}, 8))
	swap := cat(hold, []pose{{320, 260}, {560, 200}})
	second := cat(hold, []pose{{170, -200}})
	lost := cat(hold, []pose{{0, 0}})
	blink := cat(hold, []pose{{0, 0}, {0, 0}}, steps(pose{320, 260}, pose{390, 260}, 8)) // a missed frame or two is bridged
	for _, c := range []struct {
		name, challenge string
		seq             []pose
		want            Status
		err             error
	}{
		{"still face, turn left", ChallengeTurnLeft, still, Failed, ErrTimeout},
		{"still face, turn right", ChallengeTurnRight, still, Failed, ErrTimeout},
		{"still face, come closer", ChallengeComeCloser, still, Failed, ErrTimeout},
		{"turn left", ChallengeTurnLeft, toLeft, Passed, nil},
		{"turn right", ChallengeTurnRight, toRight, Passed, nil},
		{"left asked, right done", ChallengeTurnLeft, toRight, Failed, ErrTimeout},
		{"right asked, left done", ChallengeTurnRight, toLeft, Failed, ErrTimeout},
		{"come closer", ChallengeComeCloser, closer, Passed, nil},
		{"closer asked, turn done", ChallengeComeCloser, toLeft, Failed, ErrTimeout},
		{"turn asked, closer done", ChallengeTurnLeft, closer, Failed, ErrTimeout},
		{"swap to another face", ChallengeTurnLeft, swap, Failed, ErrTrackJump},
		{"second face", ChallengeTurnLeft, second, Failed, ErrSecondFace},
		{"face lost", ChallengeTurnLeft, lost, Failed, ErrFaceLost},
		{"face missed briefly", ChallengeTurnLeft, blink, Passed, nil},
		{"unknown challenge", "blink", toLeft, Failed, ErrUnknownChallenge},
	} {
		st, err := run(t, sc, c.challenge, c.seq)
		if st != c.want || !errors.Is(err, c.err) {
			t.Errorf("%s: status %v err %v, want %v %v", c.name, st, err, c.want, c.err)
		}
	}
}

// Progress grows toward 1 as the turn is made, and is 1 only once passed.
func TestLivenessProgress(t *testing.T) {
	a := newAnalyzer(t)
	s := facetest.Sample(t)
	t0 := time.Now()
	c := NewCheck(ChallengeTurnLeft, t0, 5*time.Second, time.Second)
	var last float64
	for i, p := range cat(steps(pose{320, 260}, pose{320, 260}, 3), steps(pose{320, 260}, pose{400, 260}, 6), steps(pose{400, 260}, pose{400, 260}, 3)) {
		st, prog, _ := c.Update(a.Analyze(facetest.Scene(s, 640, 480, p.x, 240, p.w)), t0.Add(time.Duration(i)*frameGap))
		if prog+0.15 < last || (prog == 1) != (st == Passed) {
			t.Fatalf("frame %d: progress %.2f after %.2f, status %v", i, prog, last, st)
		}
		last = prog
	}
	if st, _, _ := c.Status(); st != Passed {
		t.Fatalf("status %v", st)
	}
}

// runSlow feeds a check of challenge, limit 4 s, the analyses of rest (the
// pose before the challenge, given to Rest) and then of seq, one frame
// every gap (frames past the end repeat the last).
func runSlow(t *testing.T, sc *scenes, challenge string, rest, seq []pose, gap time.Duration) (Status, error) {
	t.Helper()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	c := NewCheck(challenge, t0, 4*time.Second, time.Second)
	an := sc.at
	var rs []Analysis
	for _, p := range rest {
		rs = append(rs, an(p))
	}
	c.Rest(rs...)
	for i := 0; i < 200; i++ {
		st, _, err := c.Update(an(seq[min(i, len(seq)-1)]), t0.Add(time.Duration(i+1)*gap))
		if st != Pending {
			return st, err
		}
	}
	t.Fatal("check never ended")
	return Pending, nil
}

// On a loaded machine frames are analysed a few a second. A prompt
// subscriber is already moving on the challenge's first frames; the
// baseline is their pose when asked (Rest), so the move still counts, and
// the rules hold as at full rate: a still face, the wrong move, a swap at
// the prompt all fail.
func TestLivenessSlowFrames(t *testing.T) {
	sc := newScenes(t)
	rest := []pose{{320, 260}, {321, 260}, {320, 260}}
	const slow = 300 * time.Millisecond
	for _, c := range []struct {
		name, challenge string
		rest, seq       []pose
		gap             time.Duration
		want            Status
		err             error
	}{
		// the move is half done on the first frame, done on the second
		{"come closer at once", ChallengeComeCloser, rest, steps(pose{320, 290}, pose{320, 340}, 1), slow, Passed, nil},
		{"turn left at once", ChallengeTurnLeft, rest, steps(pose{350, 260}, pose{390, 260}, 1), slow, Passed, nil},
		{"turn right at once", ChallengeTurnRight, rest, steps(pose{290, 260}, pose{250, 260}, 1), slow, Passed, nil},
		{"still face", ChallengeComeCloser, rest, rest, slow, Failed, ErrTimeout},
		{"closer asked, turn done", ChallengeComeCloser, rest, steps(pose{350, 260}, pose{390, 260}, 1), slow, Failed, ErrTimeout},
		{"left asked, right done", ChallengeTurnLeft, rest, steps(pose{290, 260}, pose{250, 260}, 1), slow, Failed, ErrTimeout},
		{"swap at the prompt", ChallengeComeCloser, rest, []pose{{560, 200}}, slow, Failed, ErrTrackJump},
		// a frame every 1.5 s: the 4 s limit alone would judge 2 frames;
		// the check judges minJudged before timing out
		{"very slow, closer on the 4th frame", ChallengeComeCloser, rest,
			[]pose{{320, 260}, {320, 260}, {320, 260}, {320, 340}}, 1500 * time.Millisecond, Passed, nil},
		{"very slow, still face", ChallengeComeCloser, rest, rest, 1500 * time.Millisecond, Failed, ErrTimeout},
		// a missed frame longer than lostFor is bridged, two are not
		{"very slow, face missed once", ChallengeTurnLeft, rest,
			[]pose{{320, 260}, {0, 0}, {390, 260}}, 1500 * time.Millisecond, Passed, nil},
		{"very slow, face lost", ChallengeTurnLeft, rest,
			[]pose{{320, 260}, {0, 0}, {0, 0}, {390, 260}}, 1500 * time.Millisecond, Failed, ErrFaceLost},
		// a frame of the previous move is left out of the rest pose
		{"settling before the prompt", ChallengeComeCloser, []pose{{320, 340}, {320, 260}, {320, 260}},
			steps(pose{320, 290}, pose{320, 340}, 1), slow, Passed, nil},
		// without a rest pose the first frames are the baseline, as before
		{"no rest pose, still face", ChallengeComeCloser, nil, rest, slow, Failed, ErrTimeout},
	} {
		st, err := runSlow(t, sc, c.challenge, c.rest, c.seq, c.gap)
		if st != c.want || !errors.Is(err, c.err) {
			t.Errorf("%s: status %v err %v, want %v %v", c.name, st, err, c.want, c.err)
		}
	}
}
