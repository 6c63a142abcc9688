package headoffice

import (
	"context"
	"crypto/x509"
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

// Index is what head office keeps besides package bodies: the package
// index, the kiosk register, ticket claims and failed sessions. Every
// write is durable when it returns. SQLiteIndex (OpenIndex) is the embedded
// default; sync/headoffice/postgres has the fleet's (docs/HEADOFFICE.md).
type Index interface {
	// Package returns package id's row, if indexed.
	Package(ctx context.Context, id string) (Record, bool, error)
	// AddPackage indexes r unless its id is; inserted says which.
	AddPackage(ctx context.Context, r Record) (inserted bool, err error)
	// ClaimTicket records that kiosk cn uses ticket tid (until exp),
	// unless a claim is held, dropping claims expired by now; it reports
	// the kiosk holding the ticket and whether this call claimed it.
	ClaimTicket(ctx context.Context, tid, cn string, now, exp time.Time) (holder string, created bool, err error)
	// Enrol records device as a device certificate of its kiosk (its
	// CN), enrolling the kiosk at the first; a revoked kiosk is refused
	// (ErrRevoked), the same certificate again changes nothing.
	Enrol(ctx context.Context, device *x509.Certificate, at time.Time) error
	// Revoke revokes kiosk id as of at, for good (again: the first time
	// stays); an id never enrolled is ErrUnknownKiosk.
	Revoke(ctx context.Context, id string, at time.Time) (Kiosk, error)
	// Kiosk returns kiosk id's register entry, if any.
	Kiosk(ctx context.Context, id string) (Kiosk, bool, error)
	// Kiosks lists the register, by id.
	Kiosks(ctx context.Context) ([]Kiosk, error)
	// DeviceEnrolled reports whether device was issued to the kiosk it
	// names.
	DeviceEnrolled(ctx context.Context, device *x509.Certificate) (bool, error)
	// FailedDigest returns the digest of failed-session record id, if held.
	FailedDigest(ctx context.Context, id string) (digest string, ok bool, err error)
	// AddFailed adds f unless its id is held; inserted says which.
	AddFailed(ctx context.Context, f FailedSession) (inserted bool, err error)
	// FailedSessions lists the failed sessions held, newest end first.
	FailedSessions(ctx context.Context, f FailedFilter) ([]FailedSession, error)
	// RecordBeat keeps b as its kiosk's newest heartbeat (an enrolled
	// kiosk's) and counts it.
	RecordBeat(ctx context.Context, b KioskBeat) error
	// Beats lists each kiosk's newest heartbeat, by kiosk.
	Beats(ctx context.Context) ([]KioskBeat, error)
	Close() error
}

// SQLiteIndex is the Index in one SQLite file, for one head-office process.
type SQLiteIndex struct{ db *sql.DB }

var _ Index = (*SQLiteIndex)(nil)

// DB is the index's database, for tools that read it directly (support,
// the crash tests).
func (x *SQLiteIndex) DB() *sql.DB { return x.db }

// Close closes the database.
func (x *SQLiteIndex) Close() error { return x.db.Close() }

// OpenIndex opens (creating if needed) the receiver's own SQLite index at
// path with the store's durability settings (WAL, synchronous=FULL,
// quick_check) and makes sure the schema is there.
func OpenIndex(ctx context.Context, path string) (*SQLiteIndex, error) {
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
	if _, err := db.ExecContext(ctx, beatSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("head office index: heartbeats: %w", err)
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
	return &SQLiteIndex{db: db}, nil
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

// Package implements Index.
func (x *SQLiteIndex) Package(ctx context.Context, id string) (Record, bool, error) {
	var r Record
	var at string
	err := x.db.QueryRowContext(ctx,
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

// AddPackage implements Index; the commit is durable (synchronous=FULL)
// when it returns.
func (x *SQLiteIndex) AddPackage(ctx context.Context, r Record) (inserted bool, err error) {
	res, err := x.db.ExecContext(ctx,
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
