package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"almatel.kz/signkiosk/sync/headoffice"
)

// RecordBeat implements headoffice.Index.
func (s *Store) RecordBeat(ctx context.Context, b headoffice.KioskBeat) error {
	beat, err := json.Marshal(b.Beat)
	if err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO kiosk_beats (kiosk, received_at, offset_ms, beats, beat) VALUES ($1, $2, $3, 1, $4)
		ON CONFLICT (kiosk) DO UPDATE SET received_at = excluded.received_at, offset_ms = excluded.offset_ms,
		beats = kiosk_beats.beats + 1, beat = excluded.beat`,
		b.Kiosk, b.ReceivedAt.UTC(), b.OffsetMS, string(beat))
	if err != nil {
		return fmt.Errorf("heartbeat: record %s: %w", b.Kiosk, err)
	}
	return nil
}

// Beats implements headoffice.Index.
func (s *Store) Beats(ctx context.Context) ([]headoffice.KioskBeat, error) {
	rows, err := s.pool.Query(ctx, `SELECT kiosk, received_at, offset_ms, beats, beat::text FROM kiosk_beats ORDER BY kiosk`)
	if err != nil {
		return nil, fmt.Errorf("heartbeats: %w", err)
	}
	defer rows.Close()
	var out []headoffice.KioskBeat
	for rows.Next() {
		var b headoffice.KioskBeat
		var beat string
		if err := rows.Scan(&b.Kiosk, &b.ReceivedAt, &b.OffsetMS, &b.Beats, &beat); err != nil {
			return nil, fmt.Errorf("heartbeats: %w", err)
		}
		b.ReceivedAt = b.ReceivedAt.UTC()
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
