package headoffice

import (
	"context"
	"errors"
	"testing"
	"time"
)

// acquireAsync starts an acquire and returns a channel of its result.
func acquireAsync(b *budget, ctx context.Context, n int64) chan error {
	c := make(chan error, 1)
	go func() { c <- b.acquire(ctx, n) }()
	return c
}

// waitWaiting polls until n wait on b; 20 s is a generous bound (it takes
// microseconds) so a loaded machine does not fail the test.
func waitWaiting(t *testing.T, b *budget, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, _, w := b.state(); w == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("want %d waiting", n)
		}
		time.Sleep(time.Millisecond)
	}
}

func granted(t *testing.T, c chan error, want bool) {
	t.Helper()
	select {
	case err := <-c:
		if !want || err != nil {
			t.Fatalf("granted (%v), want it waiting", err)
		}
	case <-time.After(50 * time.Millisecond):
		if want {
			// Grants are synchronous with release; 20 s more is generous.
			select {
			case err := <-c:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("not granted")
			}
		}
	}
}

// First come, first served: a light acquire does not pass a heavy one
// waiting before it, and a waiter that gives up lets those behind it in.
func TestBudgetOrderAndCancel(t *testing.T) {
	ctx := context.Background()
	b := newBudget(10)
	if err := b.acquire(ctx, 6); err != nil {
		t.Fatal(err)
	}
	heavy := acquireAsync(b, ctx, 6)
	waitWaiting(t, b, 1)
	light := acquireAsync(b, ctx, 1)
	waitWaiting(t, b, 2)
	granted(t, light, false) // it would fit, but heavy came first
	b.release(6)
	granted(t, heavy, true)
	granted(t, light, true)
	if used, peak, waiting := b.state(); used != 7 || peak != 7 || waiting != 0 {
		t.Errorf("used %d peak %d waiting %d, want 7 7 0", used, peak, waiting)
	}

	cctx, cancel := context.WithCancel(ctx)
	big := acquireAsync(b, cctx, 10)
	waitWaiting(t, b, 1)
	small := acquireAsync(b, ctx, 3)
	waitWaiting(t, b, 2)
	cancel()
	if err := <-big; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled acquire: %v", err)
	}
	granted(t, small, true) // 7 + 3 fits once big is gone
	b.release(1)
	b.release(6)
	b.release(3)
	if used, peak, waiting := b.state(); used != 0 || peak != 10 || waiting != 0 {
		t.Errorf("used %d peak %d waiting %d, want 0 10 0", used, peak, waiting)
	}
}
