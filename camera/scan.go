package camera

import (
	"context"
	"errors"
	"time"
)

// Duty caps for scanning, as a fraction of one core: idle scanning runs
// all day and must stay under a quarter; while a frame shows something
// QR-like (a ticket coming into view) the scanner may look at most frames.
const (
	scanIdleDuty   = 0.2
	scanActiveDuty = 0.6
)

// ScanLoop reads frames from src and calls found with each QR text it
// decodes, at most once per `every` while idle (and more often while a
// frame shows something QR-like), and not the same text twice within
// `repeat` (a ticket held up for a while). It returns when ctx ends or the
// source fails.
func ScanLoop(ctx context.Context, src Source, every, repeat time.Duration, found func(string)) error {
	var last string
	var lastAt time.Time
	next := time.Now()
	for {
		img, err := src.Read(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return nil
			}
			return err
		}
		start := time.Now()
		if start.Before(next) {
			continue
		}
		text, seen, err := decodeQR(img)
		end := time.Now()
		next = end.Add(scanWait(end.Sub(start), seen, every))
		if err != nil {
			continue
		}
		if text == last && end.Sub(lastAt) < repeat {
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
