package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"almatel.kz/signkiosk/app/store/storetest"
)

func openProbe(t *testing.T, dir string, minFree uint64) (*sql.DB, string, *Probe) {
	t.Helper()
	p := filepath.Join(dir, "kiosk.db")
	db, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pr, err := NewProbe(db, p, minFree)
	if err != nil {
		t.Fatal(err)
	}
	return db, p, pr
}

// SQLite's page limit stands in for a full disk: the probe says so, leaves
// nothing behind, and says the database is fine again once it is raised.
func TestProbePageLimit(t *testing.T) {
	ctx := context.Background()
	db, p, pr := openProbe(t, t.TempDir(), 1)
	db.SetMaxOpenConns(1) // max_page_count is per connection
	if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	if err := pr.Check(ctx); err != nil {
		t.Fatalf("healthy: %v", err)
	}
	var pages int
	db.QueryRow(`PRAGMA page_count`).Scan(&pages)
	if _, err := db.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages+16)); err != nil {
		t.Fatal(err)
	}
	err := pr.Check(ctx)
	wantKind(t, err, ErrDiskFull, "disk is full")
	db.Exec(`PRAGMA max_page_count = 1073741823`)
	if err := pr.Check(ctx); err != nil {
		t.Fatalf("room again: %v", err)
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'signkiosk_probe'`).Scan(&n)
	if n != 0 {
		t.Fatal("the probe left its table behind")
	}
	// Nor does the WAL grow: a rolled-back write this small stays in the
	// page cache (the probe runs every 30 s for months).
	walSize := func() int64 { fi, _ := os.Stat(p + "-wal"); return fi.Size() }
	before := walSize()
	for range 20 {
		if err := pr.Check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if after := walSize(); after != before {
		t.Fatalf("20 looks grew the WAL from %d to %d bytes", before, after)
	}
}

// The free space of the real file system: a session needs more than is left.
func TestProbeLowSpace(t *testing.T) {
	ctx := context.Background()
	dir := storetest.Tmpfs(t, "8m")
	_, _, pr := openProbe(t, dir, 4<<20)
	if err := pr.Check(ctx); err != nil {
		t.Fatalf("healthy: %v", err)
	}
	f, err := os.Create(filepath.Join(dir, "logs"))
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, 5<<20))
	f.Close()
	wantKind(t, pr.Check(ctx), ErrDiskFull, "a session needs 4.0 MB")
	os.Remove(filepath.Join(dir, "logs"))
	if err := pr.Check(ctx); err != nil {
		t.Fatalf("room again: %v", err)
	}
}

// A database removed or replaced under the running kiosk: SQLite would go
// on writing into the removed file, lost at the next start.
func TestProbeMissing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, p, pr := openProbe(t, dir, 1)
	os.Rename(p, p+".moved")
	wantKind(t, pr.Check(ctx), ErrMissing, "removed")
	os.WriteFile(p, nil, 0o600)
	wantKind(t, pr.Check(ctx), ErrMissing, "replaced")
	os.Remove(p)
	os.Rename(p+".moved", p)
	if err := pr.Check(ctx); err != nil {
		t.Fatalf("back in place: %v", err)
	}
	os.RemoveAll(dir)
	wantKind(t, pr.Check(ctx), ErrMissing, "removed")
}

// Ready is what the out-of-service screen waits for: a folder that is back
// and a disk with room.
func TestReady(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	p := filepath.Join(dir, "kiosk.db")
	wantKind(t, Ready(ctx, p, FolderMustExist()), ErrMissing, "does not exist")
	os.Mkdir(dir, 0o700)
	if err := Ready(ctx, p, FolderMustExist()); err != nil {
		t.Fatalf("folder back: %v", err)
	}
}

// Named makes a fault met by a later write an *Error, leaves others alone.
func TestNamed(t *testing.T) {
	full := &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}
	var e *Error
	if err := Named("/d/kiosk.db", fmt.Errorf("outbox: migrate: %w", full)); !errors.As(err, &e) || e.Kind != ErrDiskFull || !strings.Contains(err.Error(), "/d/kiosk.db: the disk is full") {
		t.Fatalf("named: %v", err)
	}
	plain := errors.New("no such table")
	if Named("/d/kiosk.db", plain) != plain {
		t.Fatal("a plain error was changed")
	}
}

// BenchmarkProbeCheck is one look of the running kiosk at its database
// (stat, statfs, a rolled-back 1 MB write), taken every 30 s.
func BenchmarkProbeCheck(b *testing.B) {
	p := filepath.Join(b.TempDir(), "kiosk.db")
	db, err := Open(context.Background(), p)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	pr, err := NewProbe(db, p, 1)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := pr.Check(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
