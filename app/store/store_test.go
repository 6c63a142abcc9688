package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"almatel.kz/signkiosk/app/store/storetest"
)

func TestOpenSettings(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.db")
	db, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	var sync int
	db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	db.QueryRow("PRAGMA synchronous").Scan(&sync)
	if mode != "wal" || sync != 2 {
		t.Fatalf("journal %q synchronous %d, want wal and 2 (FULL)", mode, sync)
	}
}

func TestOpenCorrupt(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.db")
	junk := make([]byte, 8192)
	copy(junk, "this is not an SQLite file at all")
	os.WriteFile(p, junk, 0o600)
	_, err := Open(context.Background(), p)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	wantKind(t, err, ErrCorrupt, "damaged")
}

// wantKind checks err is kind and none of the other three, names the file
// and says what, in one line.
func wantKind(t *testing.T, err, kind error, says string) {
	t.Helper()
	for _, k := range []error{ErrCorrupt, ErrReadOnly, ErrDiskFull, ErrMissing} {
		if errors.Is(err, k) != (k == kind) {
			t.Fatalf("err = %v: errors.Is(%v) = %t", err, k, errors.Is(err, k))
		}
	}
	if Fault(err) != kind {
		t.Fatalf("Fault(%v) = %v, want %v", err, Fault(err), kind)
	}
	msg := err.Error()
	t.Log(msg)
	if !strings.Contains(msg, says) || !strings.Contains(msg, "kiosk database ") || strings.Contains(msg, "\n") {
		t.Fatalf("message %q: want one line naming the database and saying %q", msg, says)
	}
}

// The data folder named by a config must be there: creating it would put a
// fresh, empty database where the real one (on a disk not mounted) belongs.
func TestOpenMissingFolder(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "mnt", "signkiosk")
	_, err := Open(ctx, filepath.Join(dir, "kiosk.db"), FolderMustExist())
	wantKind(t, err, ErrMissing, "does not exist")
	if _, serr := os.Stat(dir); !errors.Is(serr, os.ErrNotExist) {
		t.Fatalf("the missing folder was created (%v)", serr)
	}
	file := filepath.Join(t.TempDir(), "data")
	os.WriteFile(file, nil, 0o600)
	_, err = Open(ctx, filepath.Join(file, "kiosk.db"), FolderMustExist())
	wantKind(t, err, ErrMissing, "not a folder")

	// Without the option (demo mode, tools) the folder is made, and in an
	// existing folder a missing file is a first start, not a fault.
	db, err := Open(ctx, filepath.Join(dir, "kiosk.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, filepath.Join(dir, "other.db"), FolderMustExist())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

// A read-only file system, with the database already there (a kiosk
// restarted after the disk went read-only) and without: not "damaged".
func TestOpenReadOnlyFileSystem(t *testing.T) {
	ctx := context.Background()
	dir := storetest.Tmpfs(t, "4m")
	p := filepath.Join(dir, "kiosk.db")
	db, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	storetest.RemountRO(t, dir)
	_, err = Open(ctx, p, FolderMustExist())
	wantKind(t, err, ErrReadOnly, "not writable")
	if !strings.Contains(err.Error(), "read-only file system") {
		t.Errorf("message %q does not say why", err)
	}
	_, err = Open(ctx, filepath.Join(dir, "new.db"))
	wantKind(t, err, ErrReadOnly, "not writable")
	_, err = Open(ctx, filepath.Join(dir, "sub", "new.db"))
	wantKind(t, err, ErrReadOnly, "not writable")
}

// Permission bits bind only a user other than root; as root (here and on
// CI) the read-only file system above is the real test.
func TestOpenReadOnlyFolderPermissions(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores permission bits; TestOpenReadOnlyFileSystem covers a read-only folder")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "kiosk.db")
	db, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	db.Exec(`CREATE TABLE t (x)`)
	db.Close()
	// The file alone read-only, in a writable folder.
	os.Chmod(p, 0o400)
	_, err = Open(context.Background(), p)
	wantKind(t, err, ErrReadOnly, "kiosk.db is not writable")
	os.Chmod(p, 0o600)

	os.Chmod(dir, 0o500)
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	_, err = Open(context.Background(), p)
	wantKind(t, err, ErrReadOnly, "folder is not writable")
}

// A full disk at start. The kiosk closed cleanly (SQLite removed the WAL and
// its index), then the disk filled: SQLite cannot make the index again and
// says "database disk image is malformed" — which was reported as a damaged
// database.
func TestOpenDiskFull(t *testing.T) {
	ctx := context.Background()
	dir := storetest.Tmpfs(t, "512k")
	p := filepath.Join(dir, "kiosk.db")
	db, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x BLOB); INSERT INTO t VALUES (zeroblob(20000))`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	storetest.Fill(t, dir)
	_, err = Open(ctx, p)
	wantKind(t, err, ErrDiskFull, "disk is full")

	// Room again: the same database opens, intact.
	os.Remove(filepath.Join(dir, "filler"))
	db, err = Open(ctx, p)
	if err != nil {
		t.Fatalf("room again: %v", err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("rows %d, %v", n, err)
	}
}

// Fault names the kind of real errors from SQLite and the system, and
// nothing else.
func TestFaultOfRealErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := filepath.Join(dir, "k.db")
	db, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // max_page_count is per connection
	if _, err := db.Exec(`CREATE TABLE t (x BLOB)`); err != nil {
		t.Fatal(err)
	}

	// SQLITE_FULL, from SQLite's page limit.
	if _, err := db.Exec(`PRAGMA max_page_count = 1`); err != nil {
		t.Fatal(err)
	}
	_, full := db.Exec(`INSERT INTO t VALUES (zeroblob(100000))`)
	if full == nil {
		t.Fatal("insert past max_page_count succeeded")
	}
	db.Exec(`PRAGMA max_page_count = 1073741823`)

	// SQLITE_READONLY, from a read-only connection.
	ro, err := sql.Open("sqlite3", "file:"+p+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	_, readonly := ro.Exec(`INSERT INTO t VALUES (1)`)
	if readonly == nil {
		t.Fatal("write on a read-only connection succeeded")
	}

	// SQLITE_NOTADB, from a file that is not a database.
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, make([]byte, 8192), 0o600)
	jdb, _ := sql.Open("sqlite3", "file:"+junk)
	defer jdb.Close()
	_, notadb := jdb.Exec(`CREATE TABLE t (x)`)
	if notadb == nil {
		t.Fatal("a file of zeros is a database")
	}

	// Errors from the system, as the log file or a folder gives them.
	_, enoent := os.Open(filepath.Join(dir, "none"))
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"SQLITE_FULL", wrap(full), ErrDiskFull},
		{"SQLITE_READONLY", wrap(readonly), ErrReadOnly},
		{"SQLITE_NOTADB", wrap(notadb), ErrCorrupt},
		{"ENOSPC", wrap(&os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}), ErrDiskFull},
		{"EDQUOT", wrap(&os.PathError{Op: "write", Path: "x", Err: syscall.EDQUOT}), ErrDiskFull},
		{"EROFS", wrap(&os.PathError{Op: "open", Path: "x", Err: syscall.EROFS}), ErrReadOnly},
		{"EACCES", wrap(&os.PathError{Op: "open", Path: "x", Err: syscall.EACCES}), ErrReadOnly},
		{"kind itself", wrap(ErrMissing), ErrMissing},
		{"ENOENT", wrap(enoent), nil},
		{"cancelled", wrap(context.Canceled), nil},
		{"other", errors.New("no such table: x"), nil},
		{"nil", nil, nil},
	} {
		if got := Fault(c.err); got != c.want {
			t.Errorf("%s: Fault(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}

func wrap(err error) error {
	if err == nil {
		return nil
	}
	return errors.Join(errors.New("context"), err)
}
