package headoffice

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"almatel.kz/signkiosk/app/store"
)

// schema is the index's one table. The body lives in Storage; this is what
// head office knows about each package without opening it.
const schema = `CREATE TABLE IF NOT EXISTS packages (
	id          TEXT PRIMARY KEY,
	digest      TEXT NOT NULL,   -- lowercase hex SHA-256 of the ZIP
	size        INTEGER NOT NULL,
	kiosk_cn    TEXT NOT NULL,   -- client certificate CN of the uploader
	received_at TEXT NOT NULL,   -- RFC 3339, UTC
	report      TEXT             -- the validation report (JSON) it was accepted with
)`

// addReport brings an index made before reports were kept up to date.
const addReport = `ALTER TABLE packages ADD COLUMN report TEXT`

// OpenIndex opens (creating if needed) the receiver's own SQLite index at
// path with the store's durability settings (WAL, synchronous=FULL,
// quick_check) and makes sure the schema is there.
func OpenIndex(ctx context.Context, path string) (*sql.DB, error) {
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("head office index: %w", err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("head office index: schema: %w", err)
	}
	if _, err := db.ExecContext(ctx, ticketSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("head office index: ticket claims: %w", err)
	}
	if _, err := db.ExecContext(ctx, enrolSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("head office index: kiosk register: %w", err)
	}
	if _, err := db.ExecContext(ctx, failedSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("head office index: failed sessions: %w", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('packages') WHERE name = 'report'`).Scan(&n); err != nil {
		db.Close()
		return nil, fmt.Errorf("head office index: schema: %w", err)
	}
	if n == 0 {
		if _, err := db.ExecContext(ctx, addReport); err != nil {
			db.Close()
			return nil, fmt.Errorf("head office index: add report column: %w", err)
		}
	}
	return db, nil
}

// Record is one index row.
type Record struct {
	ID         string
	Digest     string
	Size       int64
	KioskCN    string
	ReceivedAt time.Time
	Report     []byte // validation report JSON (pack.Report)
}

// lookup returns the row for id, if any.
func lookup(ctx context.Context, db *sql.DB, id string) (Record, bool, error) {
	var r Record
	var at string
	err := db.QueryRowContext(ctx,
		`SELECT id, digest, size, kiosk_cn, received_at, report FROM packages WHERE id = ?`, id).
		Scan(&r.ID, &r.Digest, &r.Size, &r.KioskCN, &at, &r.Report)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("index lookup %s: %w", id, err)
	}
	if r.ReceivedAt, err = time.Parse(time.RFC3339Nano, at); err != nil {
		return Record{}, false, fmt.Errorf("index lookup %s: received_at: %w", id, err)
	}
	return r, true, nil
}

// insert adds r unless id is already indexed; inserted says which. The
// commit is durable (synchronous=FULL) when it returns.
func insert(ctx context.Context, db *sql.DB, r Record) (inserted bool, err error) {
	res, err := db.ExecContext(ctx,
		`INSERT INTO packages (id, digest, size, kiosk_cn, received_at, report) VALUES (?, ?, ?, ?, ?, ?)
		 ON CONFLICT(id) DO NOTHING`,
		r.ID, r.Digest, r.Size, r.KioskCN, r.ReceivedAt.UTC().Format(time.RFC3339Nano), nullable(r.Report))
	if err != nil {
		return false, fmt.Errorf("index insert %s: %w", r.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("index insert %s: %w", r.ID, err)
	}
	return n == 1, nil
}

// nullable stores an absent report as NULL rather than an empty string.
func nullable(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}
