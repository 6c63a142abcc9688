package ui

import (
	"testing"
	"time"

	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/camera"
)

// The idle screen reads frames for the ticket scanner more often than it
// shows them: each frame shown repaints the whole window.
func TestIdlePreviewReadsMoreThanItShows(t *testing.T) {
	src := &countingSource{Source: camera.NewSynthetic(160, 120, 30)} // screens_test.go
	k := newFakeKiosk()
	h := newHarness(t, Options{Kiosk: k, Camera: shared(t, src)})
	k.set(session.State{Step: session.StepIdle, Lang: "ru"})
	h.q.drain()
	if _, ok := h.u.screen.(*idleScreen); !ok {
		t.Fatalf("screen is %T", h.u.screen)
	}
	shown := func() int64 { return int64(h.u.previewFrames.Load()) }
	start, reads := shown(), src.reads.Load()
	for shown() < start+3 {
		h.q.drain()
		time.Sleep(5 * time.Millisecond)
	}
	if n, r := shown()-start, src.reads.Load()-reads; r <= n {
		t.Fatalf("%d frames read while %d were shown, want more read than shown", r, n)
	}
}
