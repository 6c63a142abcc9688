package uploader

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Schedule is the nightly sync window.
type Schedule struct {
	Start, End string         // HH:MM in Loc; End ≤ Start means the window crosses midnight
	Loc        *time.Location // e.g. Asia/Almaty
	CatchUp    time.Duration  // at start, run at once if the last success is older (default 24h)
	Poll       time.Duration  // inside the window, how often to retry due items (default 1m)
}

// parseHM parses "HH:MM" into minutes after midnight.
func parseHM(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("sync window: %q is not HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// window returns the next window still open at now: its start (a random
// moment in what is left of it, so hundreds of kiosks do not arrive at
// once) and its end.
func window(now time.Time, start, end string, loc *time.Location, rnd func() float64) (time.Time, time.Time, error) {
	s, err := parseHM(start)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	e, err := parseHM(end)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if loc == nil {
		loc = time.Local
	}
	length := e - s
	if length <= 0 {
		length += 24 * 60 // crosses midnight
	}
	local := now.In(loc)
	// Yesterday's window may still be open (23:00–01:00 at 00:30).
	for d := -1; d <= 1; d++ {
		day := time.Date(local.Year(), local.Month(), local.Day()+d, 0, 0, 0, 0, loc)
		ws := time.Date(day.Year(), day.Month(), day.Day(), s/60, s%60, 0, 0, loc)
		we := ws.Add(time.Duration(length) * time.Minute)
		if !we.After(now) {
			continue
		}
		lo := ws
		if now.After(lo) {
			lo = now
		}
		return lo.Add(time.Duration(rnd() * float64(we.Sub(lo)))), we, nil
	}
	return time.Time{}, time.Time{}, errors.New("sync window: no window ahead") // unreachable: tomorrow's is always ahead
}

// NextWindowStart is a random moment inside today's window if it is still
// ahead (or open), else inside tomorrow's. Windows crossing midnight work. It
// returns the zero time when start or end is not HH:MM.
func NextWindowStart(now time.Time, start, end string, loc *time.Location, rnd func() float64) time.Time {
	t, _, err := window(now, start, end, loc, rnd)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Trigger asks a running Run to sync now (the staff menu's "sync now").
// Requests made while one is pending are merged.
func (u *Uploader) Trigger() {
	select {
	case u.trigger <- struct{}{}:
	default:
	}
}

// Run syncs on the schedule until ctx is cancelled: a catch-up run at once
// if the last success is too old, then each night from a random moment in the
// window, retrying due items until the window ends; Trigger runs now.
// It returns nil on a clean shutdown.
func (u *Uploader) Run(ctx context.Context, sched Schedule) error {
	if _, _, err := window(u.cfg.Now(), sched.Start, sched.End, sched.Loc, u.cfg.Rand); err != nil {
		return err
	}
	if sched.CatchUp <= 0 {
		sched.CatchUp = 24 * time.Hour
	}
	if sched.Poll <= 0 {
		sched.Poll = time.Minute
	}
	last, err := u.cfg.Queue.LastSuccess(ctx)
	if err != nil {
		return fmt.Errorf("sync: last success: %w", err)
	}
	if last.IsZero() || u.cfg.Now().Sub(last) > sched.CatchUp {
		u.cfg.Log.Info().Time("last_success", last).Msg("sync catch-up run")
		u.runLogged(ctx)
	}
	for ctx.Err() == nil {
		at, end, _ := window(u.cfg.Now(), sched.Start, sched.End, sched.Loc, u.cfg.Rand)
		u.cfg.Log.Debug().Time("at", at).Msg("next sync")
		if !u.wait(ctx, at.Sub(u.cfg.Now())) {
			continue // triggered or cancelled: loop re-plans the night
		}
		for ctx.Err() == nil {
			// Keep retrying until the window closes: backed-off items fall due
			// again, and packages signed late in the evening join in.
			u.runLogged(ctx)
			left := end.Sub(u.cfg.Now())
			if left <= 0 {
				break
			}
			u.wait(ctx, min(sched.Poll, left))
			if !u.cfg.Now().Before(end) {
				break
			}
		}
	}
	return nil
}

// wait sleeps d on the injected timer. It returns true when the time is up,
// false when cancelled or triggered (a trigger runs a sync first).
func (u *Uploader) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-u.trigger:
		u.cfg.Log.Info().Msg("sync now requested")
		u.runLogged(ctx)
		return false
	case <-u.cfg.After(d):
		return true
	}
}

func (u *Uploader) runLogged(ctx context.Context) Report {
	rep, err := u.RunOnce(ctx)
	if err != nil && ctx.Err() == nil {
		u.cfg.Log.Error().Err(err).Msg("sync run failed")
	}
	return rep
}
