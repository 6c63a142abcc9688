package ticket

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// LedgerSchema creates the used-ticket table. It lives here until the
// kiosk's store package owns migrations; keep it idempotent.
const LedgerSchema = `CREATE TABLE IF NOT EXISTS used_tickets (
	tid     TEXT PRIMARY KEY,
	exp     INTEGER NOT NULL, -- unix seconds; the row may go after this
	used_at INTEGER NOT NULL  -- unix seconds
) STRICT`

// Ledger remembers which ticket ids have started a session, until they
// expire, so a ticket starts at most one session. It holds no personal data.
type Ledger struct {
	db *sql.DB
}

// NewLedger uses db (a go-sqlite3 database) and creates the table if missing.
func NewLedger(db *sql.DB) (*Ledger, error) {
	if db == nil {
		return nil, errors.New("ticket ledger: nil database")
	}
	if _, err := db.Exec(LedgerSchema); err != nil {
		return nil, fmt.Errorf("ticket ledger: create table: %w", err)
	}
	return &Ledger{db: db}, nil
}

// useTicket inserts the id, or takes over a row that has already expired;
// an unexpired row is left alone and no row changes. One statement, so two
// processes (or goroutines) racing on one id cannot both win.
const useTicket = `INSERT INTO used_tickets (tid, exp, used_at) VALUES (?1, ?2, ?3)
ON CONFLICT (tid) DO UPDATE SET exp = excluded.exp, used_at = excluded.used_at
WHERE used_tickets.exp <= ?3`

// Use records tid as used until exp. It returns ErrReused if tid is already
// recorded and not expired at now.
func (l *Ledger) Use(ctx context.Context, tid string, exp, now time.Time) error {
	if tid == "" {
		return errors.New("ticket ledger: empty ticket id")
	}
	res, err := l.db.ExecContext(ctx, useTicket, tid, exp.Unix(), now.Unix())
	if err != nil {
		return fmt.Errorf("ticket ledger: record: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("ticket ledger: record: %w", err)
	}
	if n == 0 {
		return ErrReused
	}
	return nil
}

// Purge deletes the ids that expired at or before now.
func (l *Ledger) Purge(ctx context.Context, now time.Time) error {
	if _, err := l.db.ExecContext(ctx, `DELETE FROM used_tickets WHERE exp <= ?`, now.Unix()); err != nil {
		return fmt.Errorf("ticket ledger: purge: %w", err)
	}
	return nil
}
