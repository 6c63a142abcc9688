package camera

import (
	"context"
	"errors"
	"image"
	"sync"
	"time"
)

// Hub owns one Source and shares it: a single goroutine reads the device
// and every reader (the preview, the idle QR scanner, the biometric capture)
// gets the newest frame at its own pace. Without it two readers of one
// Source would each see only every other frame, and a slow reader would
// hold the device back.
//
// The hub reads only while some reader is waiting for a frame: when no
// screen shows the camera (the code, review and password steps) the device
// is not read and no frame is decoded.
//
// Frames are shared, read-only: a Source must hand out a new image per
// Read (the V4L2 and demo sources do).
type Hub struct {
	src   Source
	retry time.Duration // pause after a failed read, so a dead device is not spun on

	mu      sync.Mutex
	seq     uint64   // events so far: frames and read errors
	frame   *encoded // decoded by each reader at its scale, once per scale
	err     error
	changed chan struct{} // closed and replaced at every event
	closed  bool
	// wanted: some reader has waited for a frame since the last event.
	// Cleared at each event, not when the readers wake: otherwise Run,
	// quicker than the readers it woke, saw them still waiting and read
	// a frame nobody had asked for yet, which the next Read then got at
	// once, as old as the pause between two Reads (a ticket held up
	// reached the idle scanner up to a preview interval late).
	wanted bool
	demand chan struct{} // poked when a reader starts waiting
}

// NewHub shares src. Call Run to start reading.
func NewHub(src Source) *Hub {
	return &Hub{src: src, retry: 200 * time.Millisecond, changed: make(chan struct{}), demand: make(chan struct{}, 1)}
}

// Run reads the source until ctx ends or the hub is closed. A failed read is
// published to the readers as an error event (the device may come back: the
// V4L2 source reopens it), then Run pauses briefly and reads again.
func (h *Hub) Run(ctx context.Context) error {
	for {
		if err := h.awaitDemand(ctx); err != nil {
			return err
		}
		frame, err := h.read(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrClosed) {
			h.publish(nil, ErrClosed)
			return nil
		}
		h.publish(frame, err)
		if err != nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(h.retry):
			}
		}
	}
}

// read reads one frame, undecoded when the source can hand it on so.
func (h *Hub) read(ctx context.Context) (*encoded, error) {
	if es, ok := h.src.(encodedSource); ok {
		return es.readEncoded(ctx)
	}
	img, err := h.src.Read(ctx)
	if err != nil {
		return nil, err
	}
	return decoded(img), nil
}

// awaitDemand returns once a reader waits for a frame.
func (h *Hub) awaitDemand(ctx context.Context) error {
	for {
		h.mu.Lock()
		wanted, closed := h.wanted, h.closed
		h.mu.Unlock()
		if closed {
			return nil // Read then says ErrClosed
		}
		if wanted {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-h.demand:
		}
	}
}

func (h *Hub) publish(frame *encoded, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed && err == nil {
		return
	}
	h.seq++
	h.frame, h.err = frame, err
	h.wanted = false
	close(h.changed)
	h.changed = make(chan struct{})
}

// Health is what the camera's last read gave, for the kiosk's heartbeat:
// read is false before any read, err the last read's error (nil: a frame).
func (h *Hub) Health() (read bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seq > 0, h.err
}

// Close closes the source; readers then get ErrClosed.
func (h *Hub) Close() error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	select {
	case h.demand <- struct{}{}: // wake an idle Run
	default:
	}
	err := h.src.Close()
	h.publish(nil, ErrClosed)
	return err
}

// Reader is a Source over the hub for one consumer: each Read returns the
// next event (a newer frame, or the error of a failed device read) that
// this reader has not seen yet, waiting for one if needed; a new reader
// starts with the next frame, never an old one. Events between two Reads
// are skipped, not queued: a slow reader always gets the newest. Closing a
// Reader does not close the hub.
func (h *Hub) Reader() Source { return h.ReaderAtLeast(0, 0) }

// ReaderAtLeast is a Reader of frames scaled down by 2, 4 or 8 as far as
// they stay at least w×h, for a consumer that needs no more (the preview,
// the face guidance): an MJPEG camera's frames are then decoded smaller, in
// the DCT domain, at less cost. Frames of other sources come at their own
// size; w or h ≤ 0 is full size.
func (h *Hub) ReaderAtLeast(w, hgt int) Source {
	h.mu.Lock()
	defer h.mu.Unlock()
	return &hubReader{h: h, last: h.seq, w: w, hgt: hgt}
}

type hubReader struct {
	h      *Hub
	last   uint64
	w, hgt int // the least frame size wanted
}

func (r *hubReader) Read(ctx context.Context) (image.Image, error) {
	for {
		h := r.h
		h.mu.Lock()
		seq, img, err, changed, closed := h.seq, h.frame, h.err, h.changed, h.closed
		if closed {
			h.mu.Unlock()
			return nil, ErrClosed
		}
		if seq > r.last {
			h.mu.Unlock()
			r.last = seq
			if err != nil {
				return nil, err
			}
			pic, skip, err := img.at(denAtLeast(img.format, r.w, r.hgt))
			if !skip {
				return pic, err
			}
			continue // it did not decode: wait for the next
		}
		h.wanted = true
		h.mu.Unlock()
		select {
		case h.demand <- struct{}{}:
		default:
		}
		select {
		case <-ctx.Done():
		case <-changed:
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
}

func (r *hubReader) Close() error { return nil }

// Act passes a liveness challenge to the shared source when it acts them
// out (the demo's synthetic subscriber; see Actor), so a capture reading
// through the hub still drives it.
func (r *hubReader) Act(challenge string) {
	if a, ok := r.h.src.(Actor); ok {
		a.Act(challenge)
	}
}

// Hold passes a held-up picture to the shared source when it can show one
// (the demo's and the simulated webcam's; see Holder).
func (h *Hub) Hold(pic image.Image) {
	if s, ok := h.src.(Holder); ok {
		s.Hold(pic)
	}
}
