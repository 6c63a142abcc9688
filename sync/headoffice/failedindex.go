package headoffice

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"almatel.kz/signkiosk/app/failedsession"
)

// failedSchema is the table of failed sessions, in the index database: the
// columns head office staff filter and read, and the signed record as it
// was received (small: it lives here, not in Storage). CREATE IF NOT
// EXISTS makes it in an index from before it, as the other tables.
const failedSchema = `CREATE TABLE IF NOT EXISTS failed_sessions (
	id          TEXT PRIMARY KEY,  -- the record id
	digest      TEXT NOT NULL,     -- lowercase hex SHA-256 of the body
	kiosk       TEXT NOT NULL,     -- the signing kiosk, which delivered it
	office      TEXT NOT NULL,
	ticket_id   TEXT NOT NULL,
	order_id    TEXT NOT NULL,
	staff       TEXT NOT NULL,
	step        TEXT NOT NULL,
	reason      TEXT NOT NULL,
	error       TEXT NOT NULL,
	attempts    INTEGER NOT NULL,  -- biometric attempts judged
	started_at  TEXT NOT NULL,     -- fixed-width UTC (stampLayout): sorts as it reads
	ended_at    TEXT NOT NULL,
	received_at TEXT NOT NULL,
	body        BLOB NOT NULL      -- the signed record (failedsession.Envelope JSON)
);
CREATE INDEX IF NOT EXISTS failed_sessions_ended ON failed_sessions (ended_at);
CREATE INDEX IF NOT EXISTS failed_sessions_office ON failed_sessions (office, ended_at)`

// stampLayout is RFC 3339 in UTC with a fixed number of fraction digits,
// so the text orders as the times do (RFC3339Nano trims zeros and would not).
const stampLayout = "2006-01-02T15:04:05.000000000Z"

// FailedSession is one failed session as head office holds it.
type FailedSession struct {
	failedsession.Record
	Digest     string
	ReceivedAt time.Time
	Body       []byte // the signed record as received
}

// ReadBody fills f.Record from f.Body, the signed record as held: it was
// verified when it came and is read back as it was signed (an index's
// columns are a copy for filtering).
func (f *FailedSession) ReadBody() error {
	s, err := failedsession.Parse(f.Body)
	if err == nil {
		f.Record, err = s.Verify()
	}
	if err != nil {
		return fmt.Errorf("failed sessions: a held record does not read back: %w", err)
	}
	return nil
}

func stampOf(t time.Time) string { return t.UTC().Format(stampLayout) }

// FailedDigest implements Index.
func (x *SQLiteIndex) FailedDigest(ctx context.Context, id string) (digest string, ok bool, err error) {
	err = x.db.QueryRowContext(ctx, `SELECT digest FROM failed_sessions WHERE id = ?`, id).Scan(&digest)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("failed sessions: lookup %s: %w", id, err)
	}
	return digest, true, nil
}

// AddFailed implements Index, durably (synchronous=FULL).
func (x *SQLiteIndex) AddFailed(ctx context.Context, f FailedSession) (inserted bool, err error) {
	r := f.Record
	res, err := x.db.ExecContext(ctx, `INSERT INTO failed_sessions
		(id, digest, kiosk, office, ticket_id, order_id, staff, step, reason, error, attempts, started_at, ended_at, received_at, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
		r.RecordID, f.Digest, r.Kiosk, r.Office, r.TicketID, r.OrderID, r.Staff, r.Step, r.Reason, r.Error, len(r.Biometrics),
		stampOf(r.StartedAt), stampOf(r.EndedAt), stampOf(f.ReceivedAt), f.Body)
	if err != nil {
		return false, fmt.Errorf("failed sessions: insert %s: %w", r.RecordID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("failed sessions: insert %s: %w", r.RecordID, err)
	}
	return n == 1, nil
}

// FailedFilter narrows FailedSessions; zero fields do not filter.
type FailedFilter struct {
	Since  time.Time // ended at or after
	Office string
	Kiosk  string
	Reason string
	Limit  int // at most this many, newest first; <= 0 all
}

// FailedSessions lists the failed sessions head office holds, newest end
// first, each read back from its signed record.
func (x *SQLiteIndex) FailedSessions(ctx context.Context, f FailedFilter) ([]FailedSession, error) {
	var where []string
	var args []any
	if !f.Since.IsZero() {
		where, args = append(where, "ended_at >= ?"), append(args, stampOf(f.Since))
	}
	for col, v := range map[string]string{"office": f.Office, "kiosk": f.Kiosk, "reason": f.Reason} {
		if v != "" {
			where, args = append(where, col+" = ?"), append(args, v)
		}
	}
	q := `SELECT digest, received_at, body FROM failed_sessions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	q += " ORDER BY ended_at DESC, id LIMIT ?"
	args = append(args, limit)
	rows, err := x.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("failed sessions: %w", err)
	}
	defer rows.Close()
	var out []FailedSession
	for rows.Next() {
		var fs FailedSession
		var received string
		if err := rows.Scan(&fs.Digest, &received, &fs.Body); err != nil {
			return nil, fmt.Errorf("failed sessions: %w", err)
		}
		if fs.ReceivedAt, err = time.Parse(time.RFC3339Nano, received); err != nil {
			return nil, fmt.Errorf("failed sessions: received_at: %w", err)
		}
		if err := fs.ReadBody(); err != nil {
			return nil, err
		}
		out = append(out, fs)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("failed sessions: %w", err)
	}
	return out, nil
}
