package ui

import (
	"context"
	"errors"
	"image"
	"testing"
	"time"
)

// The scanner behind a tap gets the newest frame the preview read, never a
// queue of old ones, and the camera's errors as they came.
func TestFrameTapNewestWins(t *testing.T) {
	tap := newFrameTap()
	a, b := image.NewGray(image.Rect(0, 0, 1, 1)), image.NewGray(image.Rect(0, 0, 2, 2))
	tap.put(a, nil)
	tap.put(b, nil)
	got, err := tap.Read(context.Background())
	if err != nil || got != b {
		t.Fatalf("read %v %v, want the newer frame", got, err)
	}
	lost := errors.New("camera gone")
	tap.put(nil, lost)
	if _, err := tap.Read(context.Background()); !errors.Is(err, lost) {
		t.Fatalf("error %v, want the camera's", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := tap.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("read with nothing put: %v, want the context's end", err)
	}
}
