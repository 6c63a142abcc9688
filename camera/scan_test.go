//go:build unix

package camera

import (
	"context"
	"image"
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestScanWait(t *testing.T) {
	for _, tc := range []struct {
		cost  time.Duration
		seen  bool
		every time.Duration
		want  time.Duration
	}{
		{10 * time.Millisecond, false, 250 * time.Millisecond, 250 * time.Millisecond},  // cheap miss: the interval
		{100 * time.Millisecond, false, 250 * time.Millisecond, 400 * time.Millisecond}, // dear miss: the duty cap, 20 %
		{10 * time.Millisecond, true, 250 * time.Millisecond, 10 * time.Millisecond * 4 / 6},
		{60 * time.Millisecond, true, 250 * time.Millisecond, 40 * time.Millisecond},
	} {
		got := scanWait(tc.cost, tc.seen, tc.every)
		if d := got - tc.want; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("scanWait(%v, %v, %v) = %v, want %v", tc.cost, tc.seen, tc.every, got, tc.want)
		}
		duty := float64(tc.cost) / float64(tc.cost+got)
		if limit := map[bool]float64{false: scanIdleDuty, true: scanActiveDuty}[tc.seen]; duty > limit+1e-6 {
			t.Errorf("cost %v: duty %.2f over %.2f", tc.cost, duty, limit)
		}
	}
	if scanIdleDuty >= 0.25 {
		t.Fatalf("idle duty cap %.2f: the issue asks for under a quarter of a core", scanIdleDuty)
	}
}

// frameSource hands out frames at a fixed rate, like a webcam.
type frameSource struct {
	mu     sync.Mutex
	frames []image.Image
	n      int
	every  time.Duration
}

func (s *frameSource) Read(ctx context.Context) (image.Image, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(s.every):
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return s.frames[s.n%len(s.frames)], nil
}

func (s *frameSource) Close() error { return nil }

func TestScanLoopFindsOnce(t *testing.T) {
	text := testTicket(t)
	src := &frameSource{frames: []image.Image{renderQR(t, testQR(t, text), 640, 480, 4, 3)}, every: 5 * time.Millisecond}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var got []string
	err := ScanLoop(ctx, src, 10*time.Millisecond, time.Hour, func(s string) {
		got = append(got, s)
		if len(got) == 1 {
			time.AfterFunc(200*time.Millisecond, cancel) // a few more frames: no repeat
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != text {
		t.Fatalf("found %d texts, want the ticket once", len(got))
	}
}

// BenchmarkScanLoopIdleDuty measures the process CPU time of ScanLoop on a
// 30 fps source of 1280×720 frames without a code, at the kiosk's 250 ms
// interval, as a share of one core (for docs/BENCHMARKS.md). The bound is
// scanWait's, tested above: a figure like this is never a pass/fail test.
func BenchmarkScanLoopIdleDuty(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	var frames []image.Image
	for range 4 {
		frames = append(frames, qrRender(b, rng, nil, qrSetParams(rng, "base"), [9]float64{}, qrBackground(rng)))
	}
	src := &frameSource{frames: frames, every: time.Second / 30}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	var c, w time.Duration
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c0, w0 := cpu(), time.Now()
		err := ScanLoop(ctx, src, 250*time.Millisecond, 5*time.Second, func(string) { b.Error("found a code in frames without one") })
		c, w = c+cpu()-c0, w+time.Since(w0)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(100*float64(c)/float64(w), "%core")
}

// stillSource gives one picture, then (after switchAt reads) another,
// instantly: the scanner's own pacing, on a FastClock, is what is tested.
type stillSource struct {
	a, b     image.Image
	switchAt int
	n        int
}

func (s *stillSource) Read(ctx context.Context) (image.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.n++
	if s.switchAt > 0 && s.n > s.switchAt {
		return s.b, nil
	}
	return s.a, nil
}

func (s *stillSource) Close() error { return nil }

// An idle kiosk in front of an empty room decodes a still picture once per
// scanRecheck, not at every look; the frame a ticket comes into view in is
// decoded at once, and while something QR-like is in view every look is.
func TestScannerDecodesOnChange(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	room := qrRender(t, rng, nil, qrSetParams(rng, "base"), [9]float64{}, qrBackground(rng))
	text := testTicket(t)
	ticket := renderQR(t, testQR(t, text), 1280, 720, 3.5, 4)
	clk := &FastClock{Base: func() time.Time { return time.Unix(1e9, 0) }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// 60 s of a still room at 4 looks a second.
	src := &stillSource{a: room, b: ticket, switchAt: 240}
	var atSwitch, foundAt int // decodes of the still room; the look that found the ticket
	sc := Scanner{Every: 250 * time.Millisecond, Repeat: time.Hour, Clock: clk,
		decoded: func() {
			if src.n <= src.switchAt {
				atSwitch++
			}
		}}
	err := sc.Run(ctx, src, func(s string) {
		if s != text {
			t.Errorf("found %q", s)
		}
		foundAt = src.n
		cancel()
	})
	if err != nil {
		t.Fatal(err)
	}
	// 240 looks over 60 s: one decode at the start and one per recheck.
	if max := 1 + int(60*time.Second/scanRecheck); atSwitch > max || atSwitch < max-2 {
		t.Errorf("%d decodes of a still room in 60 s, want about %d (one per %v)", atSwitch, max, scanRecheck)
	}
	if foundAt != src.switchAt+1 {
		t.Errorf("ticket in view from look %d read at look %d: the change must be decoded at once", src.switchAt+1, foundAt)
	}
}

func TestLumaGrid(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	room := qrToGray(qrRender(t, rng, nil, qrSetParams(rng, "base"), [9]float64{}, qrBackground(rng)))
	noisy := image.NewGray(room.Rect)
	copy(noisy.Pix, room.Pix)
	for i := range noisy.Pix { // sensor noise of ±6 levels everywhere
		noisy.Pix[i] = uint8(min(max(int(noisy.Pix[i])+rng.IntN(13)-6, 0), 255))
	}
	if gridOf(room).differs(gridOf(noisy)) {
		t.Error("sensor noise counted as a change")
	}
	ticket := qrToGray(renderQR(t, testQR(t, testTicket(t)), room.Rect.Dx(), room.Rect.Dy(), 3.5, 4))
	if !gridOf(room).differs(gridOf(ticket)) {
		t.Error("a ticket coming into view not counted as a change")
	}
	if !gridOf(room).differs(lumaGrid{}) || !gridOf(image.NewGray(image.Rect(0, 0, 4, 4))).differs(gridOf(room)) {
		t.Error("a grid never taken must differ")
	}
}
