package store

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"

	"github.com/mattn/go-sqlite3"
)

// The four ways the kiosk's database can be unusable. Each needs a different
// action from staff, so each has its own message on the out-of-service
// screen and in the CLI.
var (
	// ErrCorrupt: the file fails its integrity check or is not a database —
	// keep it as it is and restore (the only kind that needs recovery).
	ErrCorrupt = errors.New("kiosk database is damaged")
	// ErrReadOnly: the folder or the file cannot be written (read-only
	// file system, permissions). The data is intact.
	ErrReadOnly = errors.New("kiosk database is not writable")
	// ErrDiskFull: no room to write. The data is intact; the kiosk takes
	// sessions again by itself once there is room.
	ErrDiskFull = errors.New("kiosk disk is full")
	// ErrMissing: the data folder is not there (a disk not mounted, a
	// wrong data_dir), or the database was removed or replaced while the
	// kiosk ran.
	ErrMissing = errors.New("kiosk database is missing")
)

var kinds = []error{ErrCorrupt, ErrReadOnly, ErrDiskFull, ErrMissing}

// Error is an unusable database: Kind is one of the four kinds above, Detail
// what was found (for staff), Err what the system said (may be nil).
type Error struct {
	Path   string
	Kind   error
	Detail string
	Err    error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("kiosk database %s: %s", e.Path, e.Detail)
	}
	return fmt.Sprintf("kiosk database %s: %s (%s)", e.Path, e.Detail, cause(e.Err))
}

// Unwrap gives errors.Is the kind and errors.As the system's error.
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

// Fault is the kind of storage fault err is — ErrCorrupt, ErrReadOnly,
// ErrDiskFull or ErrMissing — or nil when it is none of them (a lock, a
// cancelled call, a bug). It reads SQLite's result codes and the system's
// errno, so it also names the faults of writes while the kiosk runs.
func Fault(err error) error {
	if err == nil {
		return nil
	}
	for _, k := range kinds {
		if errors.Is(err, k) {
			return k
		}
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		if k := errnoKind(se.SystemErrno); k != nil {
			return k // e.g. SQLITE_IOERR_WRITE with ENOSPC or EROFS
		}
		switch se.Code {
		case sqlite3.ErrFull:
			return ErrDiskFull
		case sqlite3.ErrReadonly:
			if se.ExtendedCode == sqlite3.ErrReadonlyDbMoved {
				return ErrMissing
			}
			return ErrReadOnly
		case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
			return ErrCorrupt
		}
		return nil
	}
	var en syscall.Errno
	if errors.As(err, &en) {
		return errnoKind(en)
	}
	return nil
}

func errnoKind(en syscall.Errno) error {
	switch en {
	case syscall.ENOSPC, syscall.EDQUOT:
		return ErrDiskFull
	case syscall.EROFS, syscall.EACCES, syscall.EPERM:
		return ErrReadOnly
	}
	return nil
}

// cause is the system's reason without the path and operation around it
// (the Error names the path once): "read-only file system".
func cause(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

func detail(k error) string {
	switch k {
	case ErrReadOnly:
		return "the data folder is not writable"
	case ErrDiskFull:
		return "the disk is full"
	case ErrMissing:
		return "the database is missing"
	}
	return "damaged"
}

// Named is err as the fault of the database at path when it is one of the
// four kinds (a write of the ledger or the outbox failing with SQLITE_FULL,
// say), so callers can tell them apart with errors.As(*Error); other
// errors are returned as they are.
func Named(path string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if k := Fault(err); k != nil {
		return &Error{Path: path, Kind: k, Detail: detail(k), Err: err}
	}
	return err
}
