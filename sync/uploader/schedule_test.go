package uploader

import (
	"context"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Almaty on machines without zoneinfo

	"github.com/rs/zerolog"
)

func almaty(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Almaty")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestNextWindowStart(t *testing.T) {
	loc := almaty(t)
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, loc) }
	for _, c := range []struct {
		name       string
		now        time.Time
		start, end string
		r          float64
		want       time.Time
	}{
		{"before window, r=0", at(24, 1, 0), "02:00", "05:00", 0, at(24, 2, 0)},
		{"before window, r=0.5", at(24, 1, 0), "02:00", "05:00", 0.5, at(24, 3, 30)},
		{"evening: tomorrow", at(24, 18, 0), "02:00", "05:00", 0, at(25, 2, 0)},
		{"right after end: tomorrow", at(24, 5, 0), "02:00", "05:00", 0.5, at(25, 3, 30)},
		{"inside window: rest of it", at(24, 4, 0), "02:00", "05:00", 0.5, at(24, 4, 30)},
		{"crossing midnight, before", at(24, 22, 0), "23:00", "01:00", 0.5, at(25, 0, 0)},
		{"crossing midnight, after midnight inside", at(25, 0, 30), "23:00", "01:00", 0, at(25, 0, 30)},
		{"crossing midnight, after midnight inside r=.5", at(25, 0, 30), "23:00", "01:00", 0.5, at(25, 0, 45)},
		{"crossing midnight, after end", at(25, 1, 0), "23:00", "01:00", 0, at(25, 23, 0)},
		{"end of month", at(30, 12, 0), "02:00", "05:00", 0, time.Date(2026, 12, 1, 2, 0, 0, 0, loc)},
		{"end of year crossing midnight", time.Date(2026, 12, 31, 23, 30, 0, 0, loc), "23:00", "01:00", 0.5, time.Date(2027, 1, 1, 0, 15, 0, 0, loc)},
		{"now given in UTC", at(24, 1, 0).UTC(), "02:00", "05:00", 0, at(24, 2, 0)},
		{"bad start", at(24, 1, 0), "2am", "05:00", 0, time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := NextWindowStart(c.now, c.start, c.end, loc, func() float64 { return c.r })
			if !got.Equal(c.want) {
				t.Fatalf("got %v, want %v", got.In(loc), c.want)
			}
		})
	}
}

// fakeTimer is Config.After on the fake clock: it moves the clock by d and
// fires at once; calls is called first so a test can act at that moment.
type fakeTimer struct {
	clk   *clock
	mu    sync.Mutex
	calls func(now time.Time, d time.Duration)
}

func (f *fakeTimer) After(d time.Duration) <-chan time.Time {
	f.clk.Advance(d)
	f.mu.Lock()
	fn := f.calls
	f.mu.Unlock()
	if fn != nil {
		fn(f.clk.Now(), d)
	}
	ch := make(chan time.Time, 1)
	ch <- f.clk.Now()
	return ch
}

func TestRunCatchUpThenNightly(t *testing.T) {
	loc := almaty(t)
	clk := &clock{t: time.Date(2026, 11, 24, 14, 0, 0, 0, loc)}
	q := newFakeQueue(clk.Now)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopAt := time.Date(2026, 11, 27, 12, 0, 0, 0, loc)
	ft := &fakeTimer{clk: clk}
	ft.calls = func(now time.Time, d time.Duration) {
		if now.After(stopAt) {
			cancel()
		}
	}
	u := New(Config{Queue: q, BaseURL: "https://127.0.0.1:1", Now: clk.Now, Rand: func() float64 { return 0.5 },
		After: ft.After, Log: zerolog.Nop()})
	err := u.Run(ctx, Schedule{Start: "02:00", End: "05:00", Loc: loc, Poll: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.syncAt) == 0 || !q.syncAt[0].Equal(time.Date(2026, 11, 24, 14, 0, 0, 0, loc)) {
		t.Fatalf("no catch-up run at start: %v", q.syncAt)
	}
	nights := map[int]int{}
	for _, at := range q.syncAt[1:] {
		l := at.In(loc)
		if l.Hour() < 2 || l.Hour() >= 5 {
			t.Fatalf("run outside the window at %v", l)
		}
		nights[l.Day()]++
	}
	// Each night starts at 03:30 (r=0.5) and polls every 30 min until 05:00.
	if len(nights) != 3 || nights[25] != 3 || nights[26] != 3 || nights[27] != 3 {
		t.Fatalf("runs per night %v (times %v)", nights, q.syncAt)
	}
	t.Logf("catch-up + %d nightly runs over 3 nights", len(q.syncAt)-1)
}

func TestRunNoCatchUpWhenRecent(t *testing.T) {
	loc := almaty(t)
	clk := &clock{t: time.Date(2026, 11, 24, 14, 0, 0, 0, loc)}
	q := newFakeQueue(clk.Now)
	q.lastOK = clk.Now().Add(-3 * time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	ft := &fakeTimer{clk: clk, calls: func(time.Time, time.Duration) { cancel() }}
	u := New(Config{Queue: q, BaseURL: "https://127.0.0.1:1", Now: clk.Now, After: ft.After, Log: zerolog.Nop()})
	if err := u.Run(ctx, Schedule{Start: "02:00", End: "05:00", Loc: loc}); err != nil {
		t.Fatal(err)
	}
	// The timer fired (and cancelled) before the window, so no run at all.
	if len(q.syncAt) != 0 {
		t.Fatalf("runs %v, want none", q.syncAt)
	}
}

func TestTriggerRunsNow(t *testing.T) {
	loc := almaty(t)
	clk := &clock{t: time.Date(2026, 11, 24, 14, 0, 0, 0, loc)}
	q := newFakeQueue(clk.Now)
	q.lastOK = clk.Now()
	ran := make(chan struct{})
	block := make(chan time.Time) // a timer that never fires: only the trigger can wake Run
	u := New(Config{Queue: q, BaseURL: "https://127.0.0.1:1", Now: clk.Now,
		After: func(time.Duration) <-chan time.Time { return block }, Log: zerolog.Nop()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.Run(ctx, Schedule{Start: "02:00", End: "05:00", Loc: loc}) }()
	u.Trigger()
	go func() {
		for {
			q.mu.Lock()
			n := len(q.syncAt)
			q.mu.Unlock()
			if n > 0 {
				close(ran)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("Trigger did not run a sync")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRunBadWindow(t *testing.T) {
	u := New(Config{Queue: newFakeQueue(time.Now), Log: zerolog.Nop()})
	if err := u.Run(context.Background(), Schedule{Start: "25:00", End: "05:00", Loc: time.UTC}); err == nil {
		t.Fatal("bad window accepted")
	}
}
