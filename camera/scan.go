package camera

import (
	"context"
	"errors"
	"time"
)

// ScanLoop reads frames from src and calls found with each QR text it
// decodes, at most once per `every` (idle scanning must stay cheap) and not
// the same text twice within `repeat` (a ticket held up for a while).
// It returns when ctx ends or the source fails.
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
		if time.Now().Before(next) {
			continue
		}
		next = time.Now().Add(every)
		text, err := DecodeQR(img)
		if err != nil {
			continue
		}
		if text == last && time.Since(lastAt) < repeat {
			continue
		}
		last, lastAt = text, time.Now()
		found(text)
	}
}
