package headoffice

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// beatSchema keeps each kiosk's newest heartbeat, in the index database.
// The beat is kept as the JSON it came in (its fields grow with releases).
const beatSchema = `CREATE TABLE IF NOT EXISTS kiosk_beats (
	kiosk       TEXT PRIMARY KEY REFERENCES kiosks(id),
	received_at TEXT NOT NULL,     -- RFC 3339, UTC: head office's clock
	offset_ms   INTEGER NOT NULL,  -- the kiosk's clock minus head office's
	beats       INTEGER NOT NULL,  -- beats so far
	beat        TEXT NOT NULL      -- heartbeat.Beat, JSON
)`

// RecordBeat implements Index.
func (x *SQLiteIndex) RecordBeat(ctx context.Context, b KioskBeat) error {
	beat, err := json.Marshal(b.Beat)
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	_, err = x.db.ExecContext(ctx, `INSERT INTO kiosk_beats (kiosk, received_at, offset_ms, beats, beat) VALUES (?, ?, ?, 1, ?)
		ON CONFLICT(kiosk) DO UPDATE SET received_at = excluded.received_at, offset_ms = excluded.offset_ms,
		beats = beats + 1, beat = excluded.beat`,
		b.Kiosk, b.ReceivedAt.UTC().Format(time.RFC3339Nano), b.OffsetMS, string(beat))
	if err != nil {
		return fmt.Errorf("heartbeat: record %s: %w", b.Kiosk, err)
	}
	return nil
}

// Beats implements Index.
func (x *SQLiteIndex) Beats(ctx context.Context) ([]KioskBeat, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT kiosk, received_at, offset_ms, beats, beat FROM kiosk_beats ORDER BY kiosk`)
	if err != nil {
		return nil, fmt.Errorf("heartbeats: %w", err)
	}
	defer rows.Close()
	var out []KioskBeat
	for rows.Next() {
		var b KioskBeat
		var at, beat string
		if err := rows.Scan(&b.Kiosk, &at, &b.OffsetMS, &b.Beats, &beat); err != nil {
			return nil, fmt.Errorf("heartbeats: %w", err)
		}
		if b.ReceivedAt, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("heartbeats: %s: received_at: %w", b.Kiosk, err)
		}
		if err := json.Unmarshal([]byte(beat), &b.Beat); err != nil {
			return nil, fmt.Errorf("heartbeats: %s: %w", b.Kiosk, err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("heartbeats: %w", err)
	}
	return out, nil
}
