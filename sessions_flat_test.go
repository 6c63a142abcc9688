package main

import (
	"runtime"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/config"
)

// Sessions in a row leave nothing behind in the kiosk's core (runner,
// provider, camera, signing, outbox, sync): after the first few have warmed
// what every session uses, the goroutines stay where they were and the live
// heap does not climb. The demo camera's face sprites come and go with the
// moves each session's challenge asks for (camera.spriteIdle), ±7 MB from
// one session to the next, so the heap is compared as the mean of five
// sessions early against the mean of the last five: a leak of 0.6 MB a
// session shows as 8 MB over the twelve between them. Under -short, six
// sessions and the goroutines only. The window's share is the probe's
// (`make probe`, docs/BENCHMARKS.md): Fyne keeps a screen's objects a minute
// after it is gone, which a test of seconds a session cannot wait out.
func TestSessionsInARowStayFlat(t *testing.T) {
	n := 20
	if testing.Short() {
		n = 6
	}
	cfg, err := config.LoadDemo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, drv, ctx := runDemoKiosk(t, cfg, 10*time.Minute, true)
	var after []memFigures
	for i := range n {
		if err := drv.whole(ctx); err != nil {
			t.Fatalf("session %d: %v", i+1, err)
		}
		m, err := readMem()
		if err != nil {
			t.Fatal(err)
		}
		m.Goroutines = settledGoroutines()
		t.Logf("after %d: %s", i+1, m)
		after = append(after, m)
	}
	const warm = 3 // sessions that warm what every session uses: sprites, fonts, keys, pools
	// A leak grows with the sessions; a connection or timer that comes
	// and goes does not: the last three sessions' fewest against the
	// warm one's.
	g0, g := after[warm-1].Goroutines, after[n-1].Goroutines
	for _, m := range after[n-3:] {
		g = min(g, m.Goroutines)
	}
	if g > g0+2 {
		t.Errorf("%d goroutines after session %d, at least %d after each of the last three: want the same", g0, warm, g)
	}
	if testing.Short() {
		return
	}
	mean := func(ms []memFigures) float64 {
		var sum float64
		for _, m := range ms {
			sum += mb(m.Live)
		}
		return sum / float64(len(ms))
	}
	early, late := mean(after[warm:warm+5]), mean(after[n-5:])
	t.Logf("live heap: sessions %d–%d %.1f MB, %d–%d %.1f MB", warm+1, warm+5, early, n-4, n, late)
	if late-early > 8 {
		t.Errorf("the live heap climbed from %.1f MB (sessions %d–%d) to %.1f MB (%d–%d), want flat", early, warm+1, warm+5, late, n-4, n)
	}
}

// settledGoroutines is the fewest goroutines seen over a second: what a
// session left behind, without the keep-alive connections and timers of
// the moment (a single count varied 21–25 from one session to the next).
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 20 {
		time.Sleep(50 * time.Millisecond)
		n = min(n, runtime.NumGoroutine())
	}
	return n
}
