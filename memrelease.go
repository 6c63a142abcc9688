package main

import (
	"context"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/camera"
)

// idleRelease hands the memory a session leaves behind back to the OS once
// the kiosk has been idle a while: the heap its screens, pictures and
// camera sprites took is garbage by then, but the Go runtime keeps freed
// pages for the next allocation and the collector lets the heap grow to
// twice what is live before it looks, so without it the resident set stays
// near the busiest moment of the day. Twice: when the camera's unused
// sprites have gone (camera.spriteIdle), and again once Fyne has dropped
// the old screens' objects (it keeps them a minute after last drawn).
type idleRelease struct {
	clock   camera.Clock
	after   []time.Duration // from entering idle, increasing
	release func()          // releaseMemory

	mu     sync.Mutex
	idle   bool
	cancel context.CancelFunc
}

// defaultReleaseAfter: 20 s (sprites gone), 100 s (Fyne's 60 s expiry and
// its clean, at most 30 s later).
var defaultReleaseAfter = []time.Duration{20 * time.Second, 100 * time.Second}

// observe follows the session (a Runner listener): entering idle starts
// the releases, leaving it stops those still due.
func (r *idleRelease) observe(ctx context.Context, s session.State) {
	idle := s.Step == session.StepIdle
	r.mu.Lock()
	defer r.mu.Unlock()
	if idle == r.idle {
		return
	}
	r.idle = idle
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
	if !idle {
		return
	}
	wctx, cancel := context.WithCancel(ctx)
	r.cancel = cancel
	go r.wait(wctx)
}

func (r *idleRelease) wait(ctx context.Context) {
	var slept time.Duration
	for _, d := range r.after {
		if r.clock.Sleep(ctx, d-slept) != nil {
			return
		}
		slept = d
		r.release()
	}
}

// stop ends any wait (the kiosk is closing).
func (r *idleRelease) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
}

// kioskGCPercent: the collector runs when the heap has grown by half of
// what was live, not by all of it (Go's default), unless GOGC says
// otherwise. A kiosk's live heap is 20–60 MB and what it allocates between
// collections is camera frames: the default let the heap reach twice the
// live set, tens of MB resident for nothing; collecting twice as often
// costs ~1 % of a core (docs/BENCHMARKS.md).
const kioskGCPercent = 50

// releaseMemory returns the Go heap's and the C heap's free pages to the OS.
func releaseMemory() {
	debug.FreeOSMemory()
	trimCHeap()
}

// tuneKioskGC applies kioskGCPercent to the process (the kiosk and its
// probe), unless the operator set GOGC.
func tuneKioskGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(kioskGCPercent)
	}
}
