package camera

import (
	"context"
	"image"
	"sync"
	"time"
)

// Reopening is a Source for a camera that may not be there yet: a kiosk
// started before its webcam was plugged in, or while another program held
// it. Until open succeeds, each Read makes one attempt (at most one per
// every, waiting for the next one) and answers with open's error, so the
// screens say "no camera" and recover by themselves once staff plug it in.
// After that it reads the opened source (the V4L2 source follows a camera
// that is unplugged later by its bus info).
type Reopening struct {
	open  func(ctx context.Context) (Source, error)
	every time.Duration
	// Clock paces the attempts; nil is the real clock.
	Clock Clock

	mu     sync.Mutex
	src    Source
	next   time.Time // earliest next attempt
	closed bool
}

// NewReopening tries open now and then on demand.
func NewReopening(open func(ctx context.Context) (Source, error), every time.Duration) *Reopening {
	return &Reopening{open: open, every: every}
}

// Read implements Source.
func (r *Reopening) Read(ctx context.Context) (image.Image, error) {
	src, err := r.source(ctx)
	if err != nil {
		return nil, err
	}
	return src.Read(ctx)
}

// readEncoded hands the opened camera's frames on undecoded when it can
// (encodedSource), so the hub's readers decode at their own scales.
func (r *Reopening) readEncoded(ctx context.Context) (*encoded, error) {
	src, err := r.source(ctx)
	if err != nil {
		return nil, err
	}
	if es, ok := src.(encodedSource); ok {
		return es.readEncoded(ctx)
	}
	img, err := src.Read(ctx)
	if err != nil {
		return nil, err
	}
	return decoded(img), nil
}

// source is the opened camera, opening it first if need be.
func (r *Reopening) source(ctx context.Context) (Source, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, ErrClosed
	}
	if src := r.src; src != nil {
		r.mu.Unlock()
		return src, nil
	}
	clk := clockOr(r.Clock)
	wait := r.next.Sub(clk.Now())
	r.mu.Unlock()
	if wait > 0 {
		if err := clk.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	src, err := r.open(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next = clk.Now().Add(r.every)
	if err != nil {
		return nil, err
	}
	if r.closed {
		src.Close()
		return nil, ErrClosed
	}
	r.src = src
	return src, nil
}

// Opened reports whether the camera has been opened.
func (r *Reopening) Opened() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.src != nil
}

// Close implements Source.
func (r *Reopening) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.src != nil {
		return r.src.Close()
	}
	return nil
}
