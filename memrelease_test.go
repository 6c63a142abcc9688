package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/session"
)

// stepClock's Sleep says how long it was asked for and returns when the
// test says so (or its context ends).
type stepClock struct {
	asked chan time.Duration
	wake  chan struct{}
}

func (c stepClock) Now() time.Time { return time.Time{} }

func (c stepClock) Sleep(ctx context.Context, d time.Duration) error {
	c.asked <- d
	select {
	case <-c.wake:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Memory goes back to the OS twice after the kiosk comes back to idle, and
// not at all once a session starts before it was due.
func TestIdleRelease(t *testing.T) {
	clk := stepClock{asked: make(chan time.Duration), wake: make(chan struct{})}
	var released atomic.Int32
	r := &idleRelease{clock: clk, after: []time.Duration{20 * time.Second, 100 * time.Second}, release: func() { released.Add(1) }}
	defer r.stop()
	ctx := t.Context()
	idle, busy := session.State{Step: session.StepIdle}, session.State{Step: session.StepCode}
	want := func(d time.Duration) {
		t.Helper()
		select {
		case got := <-clk.asked:
			if got != d {
				t.Fatalf("slept %v, want %v", got, d)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no sleep of %v", d)
		}
	}

	r.observe(ctx, idle)
	r.observe(ctx, idle) // the same step again: still one wait
	want(20 * time.Second)
	clk.wake <- struct{}{}
	want(80 * time.Second) // 100 s from entering idle
	if n := released.Load(); n != 1 {
		t.Fatalf("released %d times after the first wait, want 1", n)
	}
	r.observe(ctx, busy) // a subscriber came: the second release is off
	r.observe(ctx, idle)
	want(20 * time.Second)
	clk.wake <- struct{}{}
	want(80 * time.Second)
	clk.wake <- struct{}{}
	deadline := time.Now().Add(5 * time.Second)
	for released.Load() != 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := released.Load(); n != 3 {
		t.Fatalf("released %d times, want 3 (1 before the session, 2 after)", n)
	}
}
