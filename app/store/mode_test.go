package store

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The database, -wal and -shm hold personal data: all three are 0600 even
// when the process umask would make them 0644 (SQLite gives -wal and -shm
// the database file's mode), and a database left 0644 by an older version
// is tightened before SQLite opens its -wal and -shm.
func TestDatabaseFilesOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	check := func(t *testing.T, path string) {
		t.Helper()
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS t (v TEXT); INSERT INTO t VALUES ('IIN 880101300123')"); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %04o, want 0600", filepath.Base(p), fi.Mode().Perm())
			}
		}
	}
	t.Run("new", func(t *testing.T) { check(t, filepath.Join(t.TempDir(), "kiosk.db")) })
	t.Run("left 0644", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "index.db")
		db, err := Open(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		os.Chmod(p, 0o644)
		check(t, p)
	})
}
