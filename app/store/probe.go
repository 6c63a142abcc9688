package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DefaultMinFree is the room a session needs before it may start: its
// signed package is about half a megabyte, and the WAL, the log and the
// ledger need room too. Refusing a session at its start is better than
// holding a signature at its end that cannot be stored.
const DefaultMinFree = 16 << 20

// probeBlob is what the probe's rolled-back write asks SQLite to place: two
// packages' worth, so a database at its page limit shows as full before a
// session starts rather than at its end.
const probeBlob = 1 << 20

// Probe looks, while the kiosk runs, at whether the database it holds open
// can still take a session: still there (the same file), on a writable file
// system with room, and writable through SQLite.
type Probe struct {
	db      *sql.DB
	path    string
	opened  os.FileInfo
	minFree uint64
}

// NewProbe watches db, opened from path by Open; minFree 0 means
// DefaultMinFree.
func NewProbe(db *sql.DB, path string, minFree uint64) (*Probe, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("watch database: %w", err)
	}
	if minFree == 0 {
		minFree = DefaultMinFree
	}
	return &Probe{db: db, path: path, opened: fi, minFree: minFree}, nil
}

// Check is nil when the database can take a session, an *Error of one of
// the four kinds when it cannot, or a plain error when the check itself
// could not run (a lock held too long, ctx ended): not a fault.
func (p *Probe) Check(ctx context.Context) error {
	if err := p.InPlace(); err != nil {
		return err
	}
	dir := filepath.Dir(p.path)
	if readOnlyFS(dir) {
		return &Error{Path: p.path, Kind: ErrReadOnly, Detail: "the data folder is not writable (read-only file system)"}
	}
	if free, ok := freeSpace(dir); ok && free < p.minFree {
		return &Error{Path: p.path, Kind: ErrDiskFull,
			Detail: fmt.Sprintf("the disk is full (%s free, a session needs %s)", byteSize(free), byteSize(p.minFree))}
	}
	if err := p.tryWrite(ctx); err != nil {
		if k := Fault(err); k != nil {
			return &Error{Path: p.path, Kind: k, Detail: detail(k), Err: err}
		}
		return fmt.Errorf("check database: %w", err)
	}
	return nil
}

// InPlace is ErrMissing when the file at the path is no longer the one
// opened: SQLite goes on writing into a removed file without an error, and
// everything written is lost at the next start — so a store that
// "succeeded" must ask this before the kiosk says the package is kept.
func (p *Probe) InPlace() error {
	fi, err := os.Stat(p.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &Error{Path: p.path, Kind: ErrMissing, Detail: "the database file was removed while the kiosk ran"}
	case err != nil:
		if k := Fault(err); k != nil {
			return &Error{Path: p.path, Kind: k, Detail: detail(k), Err: err}
		}
		return fmt.Errorf("check database: %w", err)
	case !os.SameFile(fi, p.opened):
		return &Error{Path: p.path, Kind: ErrMissing, Detail: "the database file was replaced by another while the kiosk ran"}
	}
	return nil
}

// tryWrite makes SQLite place a table and a blob, then rolls back: nothing
// stays, and in WAL mode nothing this small reaches the disk, which is why
// the free space is looked at separately.
func (p *Probe) tryWrite(ctx context.Context) error {
	c, err := p.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	_, err = c.ExecContext(ctx, "CREATE TABLE signkiosk_probe (b BLOB)")
	if err == nil {
		_, err = c.ExecContext(ctx, "INSERT INTO signkiosk_probe VALUES (zeroblob(?))", probeBlob)
	}
	if _, rerr := c.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
		// Never hand a connection with an open transaction back to the pool.
		c.Raw(func(any) error { return driver.ErrBadConn })
		if err == nil {
			err = rerr
		}
	}
	return err
}

// Ready opens the database at path, looks at it as the running kiosk would
// and closes it: nil when it can take a session. The out-of-service screen
// asks this to know when to start the kiosk again.
func Ready(ctx context.Context, path string, opts ...Option) error {
	db, err := Open(ctx, path, opts...)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := NewProbe(db, path, 0)
	if err != nil {
		return err
	}
	return p.Check(ctx)
}

// FreeSpace is the room an unprivileged writer has on dir's file system;
// false where it cannot be told (the heartbeat then reports 0).
func FreeSpace(dir string) (uint64, bool) { return freeSpace(dir) }
