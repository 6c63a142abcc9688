package camera

import (
	"context"
	"errors"
	"image"
	"time"
)

// Duty caps for scanning, as a fraction of one core: idle scanning runs
// all day and must stay under a quarter; while a frame shows something
// QR-like (a ticket coming into view) the scanner may look at most frames.
const (
	scanIdleDuty   = 0.2
	scanActiveDuty = 0.6
)

// scanRecheck is how long a still picture goes without a decode: a ticket
// held up perfectly still after its first read was refused, or one that was
// in view before the screen came, is still read within it. (5 s saved a
// point of a core on the idle screen, but a frame whose decode misses a
// ticket then costs staff 5 s: docs/BENCHMARKS.md, issue 15.)
const scanRecheck = 2 * time.Second

// Scanner reads QR codes from a camera. Most of the day nothing is in front
// of an idle kiosk, so it decodes only when the picture has changed since
// its last decode (a coarse luma grid, lumagrid.go), when the last frame
// showed something QR-like, or after scanRecheck.
type Scanner struct {
	// Every is the least time between two frames looked at while nothing
	// QR-like is in view; the frames between are not read at all.
	Every time.Duration
	// Repeat: the same text is not reported twice within it (a ticket held
	// up for a while).
	Repeat time.Duration
	Clock  Clock // nil: the real clock

	decode  func(image.Image) (text string, seen bool, err error) // decodeQR; tests count calls
	decoded func()                                                // called at each decode (tests)
}

// ScanLoop is Scanner{Every: every, Repeat: repeat}.Run.
func ScanLoop(ctx context.Context, src Source, every, repeat time.Duration, found func(string)) error {
	return Scanner{Every: every, Repeat: repeat}.Run(ctx, src, found)
}

// Run reads frames from src and calls found with each QR text it decodes.
// It returns when ctx ends (nil) or the source fails.
func (sc Scanner) Run(ctx context.Context, src Source, found func(string)) error {
	clk := clockOr(sc.Clock)
	decode := sc.decode
	if decode == nil {
		decode = decodeQR
	}
	var (
		last      string
		lastAt    time.Time
		grid      lumaGrid // of the frame last decoded
		decodedAt time.Time
		hot       = true // decode the next frame whatever it shows
	)
	next := clk.Now()
	for {
		if wait := next.Sub(clk.Now()); wait > 0 {
			if err := clk.Sleep(ctx, wait); err != nil {
				return nil
			}
		}
		img, err := src.Read(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return nil
			}
			return err
		}
		start := clk.Now()
		g := gridOf(Luma(img))
		if !hot && !g.differs(grid) && start.Sub(decodedAt) < scanRecheck {
			next = start.Add(sc.Every)
			continue
		}
		grid, decodedAt = g, start
		if sc.decoded != nil {
			sc.decoded()
		}
		text, seen, err := decode(img)
		end := clk.Now()
		hot = seen
		next = end.Add(scanWait(end.Sub(start), seen, sc.Every))
		if err != nil {
			continue
		}
		if text == last && end.Sub(lastAt) < sc.Repeat {
			continue
		}
		last, lastAt = text, end
		found(text)
	}
}

// scanWait is how long to wait after a decode that took cost: `every`
// while idle and nothing while something QR-like is in view, but never so
// little that decoding takes more than the duty cap of one core
// (cost/(cost+wait) ≤ duty). A decode runs on one goroutine, so its wall
// time is its CPU time.
func scanWait(cost time.Duration, seen bool, every time.Duration) time.Duration {
	duty, wait := scanIdleDuty, every
	if seen {
		duty, wait = scanActiveDuty, 0
	}
	minWait := time.Duration(float64(cost) * (1 - duty) / duty)
	return max(wait, minWait)
}
