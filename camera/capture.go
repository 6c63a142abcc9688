package camera

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"slices"
	"time"

	"almatel.kz/signkiosk/camera/face"
)

// Capturer takes the frames of one biometric attempt from a Source: it
// waits for a good face (guidance "ok"), then has the subscriber perform
// the provider's moves one at a time, each checked on the face track
// against the pose at rest, and returns the best frames JPEG-encoded with
// their capture times, in memory only. The provider judges the frames
// itself; this check is the kiosk's live guidance.
//
// It reads the Source synchronously, one frame in flight: with the kiosk's
// Hub each Read is the newest frame, so a slow analysis skips frames rather
// than queueing them.
type Capturer struct {
	Source   Source
	PerMove  int            // frames per move: the passing one and the best before it; 2 when 0, at least 1
	Analyzer *face.Analyzer // nil: one with default thresholds, made per Capture
	FaceWait time.Duration  // how long to wait for a good face; 10 s
	Limit    time.Duration  // each move's time limit; 6 s
	Beat     time.Duration  // the pause after a move, "done" on screen, before the next; 800 ms, none when < 0
	GoodFor  int            // consecutive "ok" frames of one still pose before the first move; 3
	Settle   time.Duration  // and how long that pose must have lasted; 400 ms
	Now      func() time.Time
	OnLive   func(Live) // called for every analysed frame, from Capture's goroutine
}

// Actor is the demo's stand-in subscriber: a Source that can act out a
// move on its next frames. Capture calls Act(move) when each move is asked
// and Act("") when the attempt ends (Synthetic implements it; a real
// camera does not).
type Actor interface{ Act(move string) }

// Frame is a captured frame for the provider.
type Frame struct {
	JPEG       []byte
	CapturedAt time.Time
	Rest       bool // one of the leading frames at rest, the baseline every move was measured from
}

// MaxMoves is the most moves one attempt asks for.
const MaxMoves = 3

// Phase of a capture, for the UI.
type Phase int

// Phases in order.
const (
	PhaseWaiting   Phase = iota // waiting for a good face (guidance)
	PhaseChallenge              // move Moves[Move] runs
	PhaseMoveDone               // move Moves[Move] was seen; the next prompt follows after a short beat
	PhaseDone                   // every move seen, frames taken
)

// Live is one analysed frame, for the preview: the UI mirrors Frame and
// Face itself (both are unmirrored frame coordinates).
type Live struct {
	Frame     image.Image
	Face      image.Rectangle // empty when no face
	Guidance  string          // a face.Guidances code; the UI shows "guide.<code>"
	Challenge string          // the move asked now (Moves[Move]); "" while guiding only
	Moves     []string        // the provider's sequence of moves, in order; nil while guiding only
	Move      int             // index in Moves of the move running or just done
	Phase     Phase
	Remaining time.Duration // until the phase's limit
	Progress  float64       // 0..1 toward passing the challenge
}

// Capture failures; errors.Is works on Capture's errors, and each carries
// the session's capture code (CaptureCode) the kiosk shows.
var (
	ErrNoFace           error = captureError{"no usable face in view", "capture_no_face"}
	ErrManyFaces        error = captureError{"more than one face in view", "capture_many_faces"}
	ErrChallengeTimeout error = captureError{"challenge not performed in time", "capture_challenge"}
	ErrChallengeFailed  error = captureError{"challenge failed: face lost or not one track", "capture_challenge"}
	ErrBadChallenge     error = captureError{"the provider's challenge asks for no moves, too many or unknown ones", "capture_bad_challenge"}
)

type captureError struct{ msg, code string }

func (e captureError) Error() string       { return e.msg }
func (e captureError) CaptureCode() string { return e.code }

// sourceError keeps a camera error for errors.Is and names its capture code.
type sourceError struct {
	err  error
	code string
}

func (e sourceError) Error() string       { return e.err.Error() }
func (e sourceError) Unwrap() error       { return e.err }
func (e sourceError) CaptureCode() string { return e.code }

func wrapSource(err error) error {
	if code := ErrorCode(err); code != "" {
		return sourceError{err, code}
	}
	return err
}

// ErrorCode is the session's code for a camera failure (camera_none,
// camera_gone, camera_busy, camera_format, camera_virtual,
// camera_not_allowed), so every screen that reports one shows the same
// translated message; "" for other errors.
func ErrorCode(err error) string {
	for _, m := range []struct {
		err  error
		code string
	}{{ErrVirtualCamera, "camera_virtual"}, {ErrCameraNotAllowed, "camera_not_allowed"},
		{ErrNoCamera, "camera_none"}, {ErrDisconnected, "camera_gone"}, {ErrClosed, "camera_gone"},
		{ErrBusy, "camera_busy"}, {ErrUnsupportedFormat, "camera_format"}} {
		if errors.Is(err, m.err) {
			return m.code
		}
	}
	return ""
}

// shot is an analysed frame kept as a candidate.
type shot struct {
	seq  int
	img  image.Image
	an   face.Analysis
	q    float64
	at   time.Time
	rest bool
}

// Capture implements the kiosk's Capturer: the frames of one attempt at
// moves, in capture order: the frames at rest the moves were measured
// from (Rest set), then per move the best frames during it and the one
// that passed it.
func (c Capturer) Capture(ctx context.Context, moves []string) ([]Frame, error) {
	if len(moves) == 0 || len(moves) > MaxMoves {
		return nil, fmt.Errorf("capture: %d moves: %w", len(moves), ErrBadChallenge)
	}
	for _, m := range moves {
		if !slices.Contains([]string{face.ChallengeTurnLeft, face.ChallengeTurnRight, face.ChallengeComeCloser}, m) {
			return nil, fmt.Errorf("capture: move %q: %w", m, ErrBadChallenge)
		}
	}
	a := c.Analyzer
	if a == nil {
		var err error
		if a, err = face.NewAnalyzer(face.Config{}); err != nil {
			return nil, fmt.Errorf("capture: %w", err)
		}
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	live := func(l Live) {
		if c.OnLive != nil {
			l.Moves = moves
			c.OnLive(l)
		}
	}
	act, _ := c.Source.(Actor)
	if act != nil {
		// The stand-in subscriber stands at rest as the attempt starts (a
		// simulated webcam films each frame live from here) and returns
		// to rest at its end.
		act.Act("")
		defer act.Act("")
	}
	shots, err := c.waitForFace(ctx, a, now, live)
	if err != nil {
		return nil, err
	}
	rest := make([]face.Analysis, len(shots))
	for i, s := range shots {
		rest[i] = s.an
	}
	track := rest[len(rest)-1] // the face's last frame, where each move's track continues from
	for i, m := range moves {
		if act != nil {
			act.Act(m)
		}
		got, err := c.perform(ctx, a, now, moves, i, rest, &track, live)
		if err != nil {
			return nil, err
		}
		shots = append(shots, got...)
		if i < len(moves)-1 {
			if err := c.beat(ctx, a, now, i, &track, live); err != nil {
				return nil, err
			}
		}
	}
	last := shots[len(shots)-1]
	live(Live{Frame: last.img, Face: last.an.Box, Guidance: last.an.Guidance, Challenge: moves[len(moves)-1],
		Move: len(moves) - 1, Phase: PhaseDone, Progress: 1})
	out := make([]Frame, 0, len(shots))
	for _, s := range shots {
		b, err := encodeFace(a, s.img, s.an)
		if err != nil {
			return nil, err
		}
		out = append(out, Frame{JPEG: b, CapturedAt: s.at, Rest: s.rest})
	}
	return out, nil
}

// encodeFace is the frame as JPEG, checked the way the provider will see
// it: compression can move a borderline face below the detector's
// threshold, or lose a pupil so a turn is measured from the face box, and
// an attempt the provider judges from other measures than the kiosk's
// costs the subscriber an attempt. A frame whose JPEG does not measure as
// the kiosk measured it (an, the analysis of the frame itself) goes at a
// higher quality instead, larger and closer to what the kiosk analysed.
func encodeFace(a *face.Analyzer, img image.Image, an face.Analysis) ([]byte, error) {
	var b bytes.Buffer
	for _, q := range []int{85, 95, 100} {
		b.Reset()
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
			return nil, fmt.Errorf("capture: encode: %w", err)
		}
		back, err := jpeg.Decode(bytes.NewReader(b.Bytes()))
		if err == nil && sameFace(an, a.Analyze(Luma(back))) {
			break
		}
	}
	return b.Bytes(), nil
}

// sameFace reports whether b measures as a does, to a pixel or two: one
// face, pupils found or not alike, the pupils (or the box) where they were.
func sameFace(a, b face.Analysis) bool {
	const px = 2
	near := func(p, q image.Point) bool { return abs(p.X-q.X) <= px && abs(p.Y-q.Y) <= px }
	if b.Faces != 1 || a.Eyes != b.Eyes || abs(a.Box.Dx()-b.Box.Dx()) > max(px, a.Box.Dx()/20) {
		return false
	}
	if a.Eyes {
		return near(a.Pupils[0], b.Pupils[0]) && near(a.Pupils[1], b.Pupils[1])
	}
	return near(a.Box.Min, b.Box.Min)
}

// perform runs move moves[i], measured from the pose at rest, and returns
// its frames in capture order: the best PerMove-1 during it, then the one
// that passed it.
func (c Capturer) perform(ctx context.Context, a *face.Analyzer, now func() time.Time, moves []string, i int,
	rest []face.Analysis, track *face.Analysis, live func(Live)) ([]shot, error) {
	move := moves[i]
	keep := c.PerMove
	if keep <= 0 {
		keep = 2
	}
	limit := orDefault(c.Limit, 6*time.Second)
	start := now()
	chk := face.NewCheck(move, start, limit, time.Second)
	// the baseline is the pose at rest before the first move, not the
	// first frames of this one, when the subscriber may already be moving
	chk.Rest(rest...)
	chk.Follow(*track)
	cfg := a.Config()
	var during []shot // the best keep-1 so far, best first
	for seq := 0; ; seq++ {
		img, an, err := c.next(ctx, a)
		if err != nil {
			return nil, err
		}
		t := now()
		st, progress, cerr := chk.Update(an, t)
		live(Live{Frame: img, Face: an.Box, Guidance: an.Guidance, Challenge: move, Move: i, Phase: PhaseChallenge,
			Remaining: max(start.Add(limit).Sub(t), 0), Progress: progress})
		if st == face.Failed {
			return nil, fmt.Errorf("capture: %s: %w", move, challengeError(cerr))
		}
		if an.Faces != 1 {
			continue
		}
		*track = an
		s := shot{seq, img, an, quality(an, cfg), t, false}
		if st == face.Passed {
			live(Live{Frame: img, Face: an.Box, Guidance: an.Guidance, Challenge: move, Move: i, Phase: PhaseMoveDone, Progress: 1})
			slices.SortFunc(during, func(x, y shot) int { return x.seq - y.seq })
			return append(during, s), nil
		}
		during = keepBest(during, s, keep-1)
	}
}

// beat keeps the preview live for Beat after move i, its "done" on screen,
// so each move is seen to finish before the next is asked.
func (c Capturer) beat(ctx context.Context, a *face.Analyzer, now func() time.Time, i int, track *face.Analysis, live func(Live)) error {
	if c.Beat < 0 {
		return nil
	}
	end := now().Add(orDefault(c.Beat, 800*time.Millisecond))
	for now().Before(end) {
		img, an, err := c.next(ctx, a)
		if err != nil {
			return err
		}
		live(Live{Frame: img, Face: an.Box, Guidance: an.Guidance, Move: i, Phase: PhaseMoveDone, Progress: 1})
		if an.Faces == 1 {
			*track = an
		}
	}
	return nil
}

// waitForFace reads until GoodFor consecutive frames are "ok" and show one
// pose held for Settle, and returns the newest of them that the moves'
// checks take as their baseline (face.RestFrames), oldest first: the
// subscriber's pose at rest. After FaceWait it gives up with the likeliest
// reason.
func (c Capturer) waitForFace(ctx context.Context, a *face.Analyzer, now func() time.Time, live func(Live)) ([]shot, error) {
	wait := orDefault(c.FaceWait, 10*time.Second)
	settle := orDefault(c.Settle, 400*time.Millisecond)
	need := c.GoodFor
	if need <= 0 {
		need = 3
	}
	cfg := a.Config()
	start := now()
	var run []shot // consecutive good frames of one still pose, oldest first
	many, frames := 0, 0
	for {
		img, an, err := c.next(ctx, a)
		if err != nil {
			return nil, err
		}
		t := now()
		frames++
		live(Live{Frame: img, Face: an.Box, Guidance: an.Guidance, Phase: PhaseWaiting,
			Remaining: max(start.Add(wait).Sub(t), 0)})
		if an.Faces > 1 {
			many++
		}
		if an.Guidance == face.OK {
			s := shot{-1, img, an, quality(an, cfg), t, true}
			// A face still easing back from a move is not at rest yet:
			// keep only the frames that show the newest one's pose.
			for len(run) > 0 && !face.Still(run[0].an, an) {
				run = run[1:]
			}
			run = append(run, s)
			if len(run) >= need && t.Sub(run[0].at) >= settle {
				ans := make([]face.Analysis, len(run))
				for i, r := range run {
					ans[i] = r.an
				}
				return run[len(run)-face.RestFrames(ans):], nil
			}
		} else {
			run = run[:0]
		}
		if t.Sub(start) >= wait {
			if many*2 > frames {
				return nil, fmt.Errorf("capture: %w", ErrManyFaces)
			}
			return nil, fmt.Errorf("capture: %w (last guidance %s)", ErrNoFace, an.Guidance)
		}
	}
}

// next reads and analyses one frame.
func (c Capturer) next(ctx context.Context, a *face.Analyzer) (image.Image, face.Analysis, error) {
	img, err := c.Source.Read(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, face.Analysis{}, fmt.Errorf("capture: %w", ctx.Err())
		}
		return nil, face.Analysis{}, fmt.Errorf("capture: read: %w", wrapSource(err))
	}
	return img, a.Analyze(Luma(img)), nil
}

// quality ranks frames for the provider: sharp, frontal, well lit.
func quality(an face.Analysis, cfg face.Config) float64 {
	sharp := math.Min(an.Sharpness/cfg.Blurred, 3)
	frontal := 1 - math.Min(math.Abs(an.Yaw)*3, 0.9)
	light := 1 - math.Min(math.Abs(an.Brightness-128)/128, 0.9)
	return sharp * frontal * light
}

// keepBest adds s to best (best first) and keeps at most k.
func keepBest(best []shot, s shot, k int) []shot {
	if k <= 0 {
		return best
	}
	i, _ := slices.BinarySearchFunc(best, s.q, func(x shot, q float64) int {
		switch {
		case x.q > q:
			return -1
		case x.q < q:
			return 1
		}
		return 0
	})
	if i >= k {
		return best
	}
	best = slices.Insert(best, i, s)
	if len(best) > k {
		best = best[:k]
	}
	return best
}

func challengeError(err error) error {
	switch {
	case errors.Is(err, face.ErrTimeout):
		return fmt.Errorf("%w: %w", ErrChallengeTimeout, err)
	case errors.Is(err, face.ErrSecondFace):
		return fmt.Errorf("%w: %w", ErrManyFaces, err)
	}
	return fmt.Errorf("%w: %w", ErrChallengeFailed, err)
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
