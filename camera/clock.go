package camera

import (
	"context"
	"sync"
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

// FastClock sleeps by moving its own time forward instead of waiting, and
// never runs behind its Base clock (the system clock when nil): a source on
// it yields frames as fast as they are read while their times still
// advance as a camera's would. Tests and benchmarks act out whole liveness
// sequences on it in milliseconds. Safe for concurrent use.
type FastClock struct {
	Base func() time.Time

	mu sync.Mutex
	t  time.Time
}

// Now implements Clock.
func (c *FastClock) Now() time.Time {
	base := time.Now
	if c.Base != nil {
		base = c.Base
	}
	b := base()
	c.mu.Lock()
	defer c.mu.Unlock()
	if b.After(c.t) {
		c.t = b
	}
	return c.t
}

// Sleep implements Clock: it moves the time d forward at once.
func (c *FastClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := c.Now()
	c.mu.Lock()
	c.t = now.Add(max(d, 0))
	c.mu.Unlock()
	return nil
}
