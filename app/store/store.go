// Package store opens the kiosk's local SQLite database (used tickets and the
// outbox) with the durability settings the kiosk relies on, refuses a
// damaged file instead of risking data, and names what is wrong when the
// database cannot be used: damaged, not writable, disk full or missing (see
// fault.go), so staff are not sent to restore a database that is intact.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver
)

// Option changes how Open treats the database's folder.
type Option func(*options)

type options struct{ folderMustExist bool }

// FolderMustExist makes a data folder that is not there ErrMissing instead
// of creating it. A configured folder that is gone is usually a disk that
// is not mounted: an empty database made in its place would hide the real
// one, with its queued packages, from everybody.
func FolderMustExist() Option { return func(o *options) { o.folderMustExist = true } }

// Open opens (creating if needed) the database at path in WAL mode with
// synchronous=FULL — mattn/go-sqlite3 uses NORMAL unless the DSN says so —
// and runs PRAGMA quick_check. A database that cannot be used is an *Error
// of one of the four kinds (errors.Is ErrCorrupt, ErrReadOnly, ErrDiskFull,
// ErrMissing); other failures (a lock held too long, a cancelled ctx) are
// plain errors.
func Open(ctx context.Context, path string, opts ...Option) (*sql.DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	dir := filepath.Dir(path)
	if o.folderMustExist {
		if err := folderThere(path); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		if k := Fault(err); k != nil {
			return nil, &Error{Path: path, Kind: k, Detail: detail(k), Err: err}
		}
		return nil, fmt.Errorf("open database: %w", err)
	}
	// SQLite opens a file it cannot write read-only without a word, and
	// the writes fail later, one session at a time: refuse it now.
	if e := writable(path); e != nil {
		return nil, e
	}
	// -wal and -shm get the database file's mode: make it 0600 first.
	if err := ownerOnly(path); err != nil {
		return nil, openFault(path, err)
	}
	dsn := "file:" + path + "?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_foreign_keys=on"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res); err != nil {
		db.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
		return nil, openFault(path, err)
	}
	if res != "ok" {
		db.Close()
		return nil, checkFailed(path, res)
	}
	return db, nil
}
