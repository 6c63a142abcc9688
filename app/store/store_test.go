package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
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
}
