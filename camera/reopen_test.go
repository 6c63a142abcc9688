package camera

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestReopeningWaitsForTheCamera(t *testing.T) {
	var tries atomic.Int32
	open := func(context.Context) (Source, error) {
		if tries.Add(1) < 3 {
			return nil, ErrNoCamera
		}
		return NewSynthetic(64, 48, 100), nil
	}
	clk := newFakeClock()
	r := NewReopening(open, 20*time.Millisecond)
	r.Clock = clk
	defer r.Close()
	ctx := context.Background()
	for i := range 2 {
		if _, err := r.Read(ctx); !errors.Is(err, ErrNoCamera) {
			t.Fatalf("read %d: %v, want ErrNoCamera while absent", i, err)
		}
	}
	if w := clk.waits(); !slices.Equal(w, []time.Duration{20 * time.Millisecond}) {
		t.Fatalf("waits before the second attempt: %v, want [20ms]: a missing camera would be polled in a busy loop", w)
	}
	img, err := r.Read(ctx)
	if err != nil || img == nil || !r.Opened() {
		t.Fatalf("after the camera appeared: %v, opened %v", err, r.Opened())
	}
	if n := tries.Load(); n != 3 {
		t.Fatalf("%d open attempts, want 3", n)
	}
	r.Close()
	if _, err := r.Read(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestReopeningHonoursContext(t *testing.T) {
	r := NewReopening(func(context.Context) (Source, error) { return nil, ErrBusy }, time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := r.Read(ctx); !errors.Is(err, ErrBusy) {
		t.Fatalf("first read: %v", err)
	}
	if _, err := r.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting read: %v, want the context's end", err)
	}
}
