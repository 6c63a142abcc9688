// Package store opens the kiosk's local SQLite database (used tickets now;
// the outbox joins it with the sync issue) with the durability settings the
// kiosk relies on, and refuses a corrupt file instead of risking data.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver
)

// ErrCorrupt means the database failed its integrity check.
var ErrCorrupt = errors.New("kiosk database is damaged")

// Open opens (creating if needed) the database at path in WAL mode with
// synchronous=FULL — mattn/go-sqlite3 uses NORMAL unless the DSN says so —
// and runs PRAGMA quick_check.
func Open(ctx context.Context, path string) (*sql.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	dsn := "file:" + path + "?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_foreign_keys=on"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w: %v", filepath.Base(path), ErrCorrupt, err)
	}
	if res != "ok" {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w: %s", filepath.Base(path), ErrCorrupt, res)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}
