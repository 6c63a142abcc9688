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
// waits for a good face (guidance "ok"), runs the liveness challenge on the
// face track, and returns the best frames JPEG-encoded, in memory only.
//
// It reads the Source synchronously, one frame in flight: with the kiosk's
// Hub each Read is the newest frame, so a slow analysis skips frames rather
// than queueing them.
type Capturer struct {
	Source   Source
	Frames   int            // frames returned; 3 when 0 (1 before the challenge, the best during it, the passing one), at least 2
	Analyzer *face.Analyzer // nil: one with default thresholds, made per Capture
	FaceWait time.Duration  // how long to wait for a good face; 10 s
	Limit    time.Duration  // the challenge's time limit; 6 s
	GoodFor  int            // consecutive "ok" frames before the challenge starts; 3
	Now      func() time.Time
	OnLive   func(Live) // called for every analysed frame, from Capture's goroutine
}

// Actor is the demo's stand-in subscriber: a Source that can act out a
// challenge on its next frames. Capture calls Act when the challenge starts
// and Act("") when it ends (Synthetic implements it; a real camera does not).
type Actor interface{ Act(challenge string) }

// Phase of a capture, for the UI.
type Phase int

// Phases in order.
const (
	PhaseWaiting   Phase = iota // waiting for a good face (guidance)
	PhaseChallenge              // the challenge runs
	PhaseDone                   // frames taken
)

// Live is one analysed frame, for the preview: the UI mirrors Frame and
// Face itself (both are unmirrored frame coordinates).
type Live struct {
	Frame     image.Image
	Face      image.Rectangle // empty when no face
	Guidance  string          // a face.Guidances code; the UI shows "guide.<code>"
	Challenge string          // "" while guiding only
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
	seq int
	img image.Image
	an  face.Analysis
	q   float64
}

// Capture implements the kiosk's Capturer.
func (c Capturer) Capture(ctx context.Context, challenge string) ([][]byte, error) {
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
	n := c.Frames
	if n == 0 {
		n = 3
	}
	n = max(n, 2)
	live := func(l Live) {
		if c.OnLive != nil {
			c.OnLive(l)
		}
	}
	cfg := a.Config()
	before, rest, err := c.waitForFace(ctx, a, now, challenge, live)
	if err != nil {
		return nil, err
	}

	if act, ok := c.Source.(Actor); ok {
		act.Act(challenge)
		defer act.Act("") // the stand-in subscriber returns to rest
	}
	limit := orDefault(c.Limit, 6*time.Second)
	start := now()
	chk := face.NewCheck(challenge, start, limit, time.Second)
	// the baseline is the pose when the challenge was asked, not the first
	// frames of the challenge, when the subscriber may already be moving
	chk.Rest(rest...)
	var during []shot // the best n-2 so far, best first
	var last shot
	for seq := 0; ; seq++ {
		img, an, err := c.next(ctx, a)
		if err != nil {
			return nil, err
		}
		t := now()
		st, progress, cerr := chk.Update(an, t)
		live(Live{Frame: img, Face: an.Box, Guidance: an.Guidance, Challenge: challenge, Phase: PhaseChallenge,
			Remaining: max(start.Add(limit).Sub(t), 0), Progress: progress})
		if st == face.Failed {
			return nil, fmt.Errorf("capture: %s: %w", challenge, challengeError(cerr))
		}
		if an.Faces != 1 {
			continue
		}
		s := shot{seq, img, an, quality(an, cfg)}
		if st == face.Passed {
			last = s
			break
		}
		during = keepBest(during, s, n-2)
	}
	live(Live{Frame: last.img, Face: last.an.Box, Guidance: last.an.Guidance, Challenge: challenge, Phase: PhaseDone, Progress: 1})

	// chronological: before, the best during the challenge, the passing frame
	slices.SortFunc(during, func(x, y shot) int { return x.seq - y.seq })
	shots := append(append([]shot{before}, during...), last)
	out := make([][]byte, 0, len(shots))
	for _, s := range shots {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, s.img, &jpeg.Options{Quality: 85}); err != nil {
			return nil, fmt.Errorf("capture: encode: %w", err)
		}
		out = append(out, b.Bytes())
	}
	return out, nil
}

// waitForFace reads until GoodFor consecutive frames are "ok" and returns
// the best of them and the analyses of those frames, oldest first (the
// subscriber's pose at rest, the challenge's baseline); after FaceWait it
// gives up with the likeliest reason.
func (c Capturer) waitForFace(ctx context.Context, a *face.Analyzer, now func() time.Time, challenge string, live func(Live)) (shot, []face.Analysis, error) {
	wait := orDefault(c.FaceWait, 10*time.Second)
	need := c.GoodFor
	if need <= 0 {
		need = 3
	}
	cfg := a.Config()
	start := now()
	var best shot
	var rest []face.Analysis
	good, many, frames := 0, 0, 0
	for {
		img, an, err := c.next(ctx, a)
		if err != nil {
			return shot{}, nil, err
		}
		t := now()
		frames++
		live(Live{Frame: img, Face: an.Box, Guidance: an.Guidance, Challenge: challenge, Phase: PhaseWaiting,
			Remaining: max(start.Add(wait).Sub(t), 0)})
		if an.Faces > 1 {
			many++
		}
		if an.Guidance == face.OK {
			s := shot{-1, img, an, quality(an, cfg)}
			if good == 0 || s.q > best.q {
				best = s
			}
			rest = append(rest, an)
			if good++; good >= need {
				return best, rest, nil
			}
		} else {
			good, rest = 0, rest[:0]
		}
		if t.Sub(start) >= wait {
			if many*2 > frames {
				return shot{}, nil, fmt.Errorf("capture: %w", ErrManyFaces)
			}
			return shot{}, nil, fmt.Errorf("capture: %w (last guidance %s)", ErrNoFace, an.Guidance)
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

// Guide runs the guidance before a capture: it analyses a frame every
// period (a modest rate leaves the CPU to the preview) and reports it to on,
// until ctx ends (its error is returned) or the source fails.
func Guide(ctx context.Context, src Source, a *face.Analyzer, every time.Duration, on func(Live)) error {
	every = orDefault(every, 200*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		img, err := src.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("guide: read: %w", wrapSource(err))
		}
		an := a.Analyze(Luma(img))
		on(Live{Frame: img, Face: an.Box, Guidance: an.Guidance, Phase: PhaseWaiting})
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
