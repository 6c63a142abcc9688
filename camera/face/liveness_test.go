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

// run feeds the analysed sequence to a check of challenge and returns its
// outcome after the last frame (frames past the end repeat the last, i.e.
// the subscriber holds the pose until the limit).
func run(t *testing.T, a *Analyzer, s *image.Gray, challenge string, seq []pose) (Status, error) {
	t.Helper()
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	c := NewCheck(challenge, t0, 4*time.Second, time.Second)
	cache := map[pose]Analysis{}
	for i := 0; ; i++ {
		p := seq[min(i, len(seq)-1)]
		an, ok := cache[p]
		if !ok {
			var g *image.Gray
			switch {
			case p.w == 0:
				g = facetest.Backdrop(640, 480, 5)
			case p.w < 0:
				g = facetest.Scene(s, 640, 480, p.x, 240, -p.w)
				facetest.Place(g, s, p.x+300, 240, -p.w)
			default:
				g = facetest.Scene(s, 640, 480, p.x, 240, p.w)
			}
			an = a.Analyze(g)
			cache[p] = an
		}
		st, _, err := c.Update(an, t0.Add(time.Duration(i)*frameGap))
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
	a := newAnalyzer(t)
	s := facetest.Sample(t)
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
		st, err := run(t, a, s, c.challenge, c.seq)
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
