package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/mattn/go-sqlite3"
)

// openFault turns a failure to open or check the database at path into an
// *Error of the right kind, looking at the folder and the file when SQLite's
// own code does not say (it reports a folder it cannot write as "unable to
// open database file: no such file or directory"), or a plain error.
func openFault(path string, err error) error {
	var se sqlite3.Error
	isSQLite := errors.As(err, &se)
	if isSQLite && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) {
		return fmt.Errorf("open database %s: held by another program: %w", path, err)
	}
	k := Fault(err)
	if k == ErrCorrupt {
		// A full disk makes SQLite fail to rebuild the WAL index, which it
		// reports as a malformed image: with no room the file cannot be
		// judged, and the full disk is what staff must fix first.
		if free, ok := freeSpace(filepath.Dir(path)); ok && free < openMinFree {
			return &Error{Path: path, Kind: ErrDiskFull, Detail: fmt.Sprintf("the disk is full (%s free), so the database cannot be checked", byteSize(free)), Err: err}
		}
		return &Error{Path: path, Kind: ErrCorrupt, Detail: "damaged: it is not a readable SQLite database", Err: err}
	}
	if d := diagnose(path); d != nil {
		if d.Err == nil {
			d.Err = err
		}
		return d
	}
	switch {
	case k != nil:
		return &Error{Path: path, Kind: k, Detail: detail(k), Err: err}
	case isSQLite && se.Code == sqlite3.ErrIoErr:
		// Nothing wrong with the folder, the file or the room: the
		// file itself cannot be read.
		return &Error{Path: path, Kind: ErrCorrupt, Detail: "damaged: it cannot be read", Err: err}
	}
	return fmt.Errorf("open database %s: %w", path, err)
}

// checkFailed is a quick_check that ran and found damage (first line only:
// the report can run to a hundred).
func checkFailed(path, res string) error {
	first, _, _ := strings.Cut(res, "\n")
	return &Error{Path: path, Kind: ErrCorrupt, Detail: "damaged: the integrity check failed", Err: errors.New(first)}
}

// openMinFree is less room than SQLite needs to open a database in WAL mode
// (its index alone is 32 KB).
const openMinFree = 1 << 20

// folderThere is ErrMissing unless the database's folder exists.
func folderThere(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &Error{Path: path, Kind: ErrMissing, Detail: fmt.Sprintf("the data folder %s does not exist (is its disk mounted? is data_dir right?)", dir)}
	case err != nil:
		if k := Fault(err); k != nil {
			return &Error{Path: path, Kind: k, Detail: detail(k), Err: err}
		}
		return fmt.Errorf("open database %s: %w", path, err)
	case !fi.IsDir():
		return &Error{Path: path, Kind: ErrMissing, Detail: fmt.Sprintf("the data folder %s is not a folder", dir)}
	}
	return nil
}

// writable is an *Error when dir is on a read-only file system or one of
// the database's files exists but cannot be opened for writing.
func writable(path string) *Error {
	if readOnlyFS(filepath.Dir(path)) {
		return &Error{Path: path, Kind: ErrReadOnly, Detail: "the data folder is not writable", Err: syscall.EROFS}
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err == nil {
			f.Close()
			continue
		}
		if k := Fault(err); k == ErrReadOnly {
			return &Error{Path: path, Kind: k, Detail: fmt.Sprintf("the file %s is not writable", filepath.Base(p)), Err: err}
		}
	}
	return nil
}

// diagnose looks at the database's folder and files for the reason SQLite
// could not use them; nil when it finds none.
func diagnose(path string) *Error {
	dir := filepath.Dir(path)
	if err := folderThere(path); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return e
		}
		return nil
	}
	if e := writable(path); e != nil {
		return e
	}
	// Try what SQLite must do: make a file next to the database and write
	// into it (creating alone succeeds on a full disk).
	f, err := os.CreateTemp(dir, ".signkiosk-check-*")
	if err == nil {
		_, err = f.Write(make([]byte, 4096))
		if serr := f.Sync(); err == nil {
			err = serr
		}
		f.Close()
		os.Remove(f.Name())
	}
	if k := Fault(err); k != nil {
		return &Error{Path: path, Kind: k, Detail: detail(k), Err: err}
	}
	if free, ok := freeSpace(dir); ok && free < openMinFree {
		return &Error{Path: path, Kind: ErrDiskFull, Detail: fmt.Sprintf("the disk is full (%s free)", byteSize(free))}
	}
	return nil
}

// byteSize is n for a person: "3.1 MB".
func byteSize(n uint64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
