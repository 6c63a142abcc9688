package card

import (
	"fmt"
	"time"

	// Asia/Almaty must load on a kiosk without system tzdata.
	_ "time/tzdata"
)

// zoneName is the zone the card states its times in.
const zoneName = "Asia/Almaty"

// almatyOffset is Kazakhstan's one offset since 1 March 2024.
const almatyOffset = 5 * 60 * 60

// loadAlmaty returns Asia/Almaty, or a fixed UTC+5 when the zone cannot be
// loaded or the tzdata found first (the system's comes before the embedded
// copy) predates Kazakhstan's move to UTC+5.
func loadAlmaty() *time.Location {
	fixed := time.FixedZone("UTC+5", almatyOffset)
	loc, err := time.LoadLocation(zoneName)
	if err != nil {
		return fixed
	}
	if _, off := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).In(loc).Zone(); off != almatyOffset {
		return fixed
	}
	return loc
}

// clock formats the card's moments in one zone.
type clock struct {
	loc *time.Location
}

// stamp formats t as "2026-12-02 14:05:31 (UTC+5, Asia/Almaty)", with the
// offset in force at t; a zero time is "—".
func (c clock) stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(c.loc)
	_, off := t.Zone()
	return fmt.Sprintf("%s (%s, %s)", t.Format("2006-01-02 15:04:05"), utcOffset(off), zoneName)
}

// utcOffset writes an offset in seconds as UTC+5, UTC-3:30 or UTC.
func utcOffset(off int) string {
	if off == 0 {
		return "UTC"
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	h, m := off/3600, off%3600/60
	if m != 0 {
		return fmt.Sprintf("UTC%s%d:%02d", sign, h, m)
	}
	return fmt.Sprintf("UTC%s%d", sign, h)
}
