package camera

import (
	"context"
	"time"
)

// Clock is the time a source paces itself by. Sources use the real one
// unless a test gives them its own, so that pacing and timing are checked
// as logic (which waits were asked for) rather than by a wall clock.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or until ctx ends (then it returns ctx's error).
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the system clock.
type RealClock struct{}

// Now implements Clock.
func (RealClock) Now() time.Time { return time.Now() }

// Sleep implements Clock.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// clockOr is c, or the real clock when c is nil.
func clockOr(c Clock) Clock {
	if c == nil {
		return RealClock{}
	}
	return c
}
