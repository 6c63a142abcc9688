package camera

import (
	"context"
	"errors"
	"image"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// scripted is a Source that plays a list of results, then blocks.
type scripted struct {
	mu     sync.Mutex
	steps  []error // nil = a frame
	n      atomic.Int32
	closed chan struct{}
	once   sync.Once
}

func newScripted(steps ...error) *scripted {
	return &scripted{steps: steps, closed: make(chan struct{})}
}

func (s *scripted) Read(ctx context.Context) (image.Image, error) {
	s.mu.Lock()
	i := int(s.n.Load())
	s.mu.Unlock()
	if i >= len(s.steps) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.closed:
			return nil, ErrClosed
		}
	}
	s.n.Add(1)
	time.Sleep(2 * time.Millisecond) // a device's frame interval
	if s.steps[i] != nil {
		return nil, s.steps[i]
	}
	return image.NewGray(image.Rect(0, 0, i+1, 1)), nil // width tells which frame
}

func (s *scripted) Close() error { s.once.Do(func() { close(s.closed) }); return nil }

func TestHubFansOutEveryReaderGetsNewestFrames(t *testing.T) {
	src := newScripted(make([]error, 50)...)
	h := NewHub(src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Run(ctx)
	var wg sync.WaitGroup
	for range 3 {
		r := h.Reader()
		wg.Go(func() {
			last := 0
			for {
				img, err := r.Read(ctx)
				if err != nil {
					t.Errorf("read: %v", err)
					return
				}
				w := img.Bounds().Dx()
				if w <= last {
					t.Errorf("frame %d after %d: readers must only move forward", w, last)
					return
				}
				last = w
				if w == 50 {
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestHubSlowReaderSkipsToNewest(t *testing.T) {
	src := newScripted(make([]error, 20)...)
	h := NewHub(src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Run(ctx)
	slow, fast := h.Reader(), h.Reader()
	if _, err := slow.Read(ctx); err != nil { // the first frame, then a pause
		t.Fatal(err)
	}
	for {
		img, err := fast.Read(ctx) // keeps the hub reading
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Dx() == 20 {
			break
		}
	}
	img, err := slow.Read(ctx)
	if err != nil || img.Bounds().Dx() != 20 {
		t.Fatalf("slow reader got %v, %v; want the newest frame (20), not a queue", img.Bounds(), err)
	}
}

// A failing device is reported to each reader once per failure (no busy
// loop on a stale error), and frames flow again when it recovers.
func TestHubPublishesErrorsThenRecovers(t *testing.T) {
	src := newScripted(nil, errGoneForTest, nil)
	h := NewHub(src)
	h.retry = time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go h.Run(ctx)
	r := h.Reader()
	var got []string
	for len(got) < 3 {
		img, err := r.Read(ctx)
		switch {
		case errors.Is(err, errGoneForTest):
			got = append(got, "error")
		case err != nil:
			t.Fatalf("read: %v (so far %v)", err, got)
		default:
			got = append(got, "frame")
			_ = img
		}
	}
	if got[1] != "error" || got[2] != "frame" {
		t.Fatalf("events %v, want frame, error, frame", got)
	}
}

var errGoneForTest = errors.New("device gone")

func TestHubCloseEndsReaders(t *testing.T) {
	src := newScripted()
	h := NewHub(src)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	r := h.Reader()
	errc := make(chan error, 1)
	go func() { _, err := r.Read(ctx); errc <- err }()
	time.Sleep(5 * time.Millisecond)
	h.Close()
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("blocked reader got %v, want ErrClosed", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run after Close: %v", err)
	}
	if _, err := h.Reader().Read(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("new reader after Close got %v", err)
	}
}

// With no reader waiting the hub does not read the device at all.
func TestHubReadsOnlyOnDemand(t *testing.T) {
	src := newScripted(make([]error, 1000)...)
	h := NewHub(src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Run(ctx)
	time.Sleep(50 * time.Millisecond)
	if n := src.n.Load(); n != 0 {
		t.Fatalf("%d reads with no reader", n)
	}
	r := h.Reader()
	for range 3 {
		if _, err := r.Read(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// One device read per Read: no frame read ahead that the next Read
	// would get at once, as old as the pause between the two.
	time.Sleep(50 * time.Millisecond)
	if n := src.n.Load(); n != 3 {
		t.Fatalf("%d device reads for 3 Reads: a frame was read that nobody waited for", n)
	}
}
