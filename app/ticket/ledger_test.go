package ticket

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

func openTestDB(t *testing.T) *sql.DB {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "kiosk.db") + "?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newTestLedger(t *testing.T) (*Ledger, *sql.DB) {
	t.Helper()
	db := openTestDB(t)
	l, err := NewLedger(db)
	if err != nil {
		t.Fatalf("NewLedger: %v", err)
	}
	return l, db
}

func countRows(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM used_tickets`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLedgerUse(t *testing.T) {
	ctx := context.Background()
	l, _ := newTestLedger(t)
	exp := testNow.Add(time.Hour)

	steps := []struct {
		name string
		tid  string
		now  time.Time
		want error
	}{
		{"first use", "a", testNow, nil},
		{"second use", "a", testNow.Add(time.Minute), ErrReused},
		{"just before exp", "a", exp.Add(-time.Second), ErrReused},
		{"other id", "b", testNow, nil},
		{"after exp the row no longer blocks", "a", exp, nil},
		{"and is blocking again", "a", exp, ErrReused},
	}
	for _, s := range steps {
		if err := l.Use(ctx, s.tid, exp.Add(s.now.Sub(testNow)), s.now); !errors.Is(err, s.want) {
			t.Fatalf("%s: Use = %v, want %v", s.name, err, s.want)
		}
	}
	if err := l.Use(ctx, "", exp, testNow); err == nil {
		t.Fatal("Use with empty id succeeded")
	}
}

func TestLedgerPurge(t *testing.T) {
	ctx := context.Background()
	l, db := newTestLedger(t)
	for i, ttl := range []time.Duration{time.Minute, time.Hour, 2 * time.Hour} {
		if err := l.Use(ctx, fmt.Sprint("t", i), testNow.Add(ttl), testNow); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Purge(ctx, testNow.Add(time.Hour)); err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if n := countRows(t, db); n != 1 {
		t.Fatalf("%d rows after purge, want 1", n)
	}
	if err := l.Use(ctx, "t2", testNow.Add(3*time.Hour), testNow.Add(time.Hour)); !errors.Is(err, ErrReused) {
		t.Fatalf("unexpired id after purge: %v, want ErrReused", err)
	}
}

// Two sessions racing on one ticket: exactly one may start.
func TestLedgerUseRace(t *testing.T) {
	ctx := context.Background()
	l, db := newTestLedger(t)
	// A second Ledger on another handle to the same file, like a second process.
	other, err := NewLedger(db)
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ledger := l
			if i%2 == 1 {
				ledger = other
			}
			errs <- ledger.Use(ctx, "same", testNow.Add(time.Hour), testNow)
		}()
	}
	wg.Wait()
	close(errs)
	ok, reused := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrReused):
			reused++
		default:
			t.Fatalf("Use: %v", err)
		}
	}
	if ok != 1 || reused != n-1 {
		t.Fatalf("%d succeeded and %d reused, want 1 and %d", ok, reused, n-1)
	}
}

func TestLedgerCanceled(t *testing.T) {
	l, _ := newTestLedger(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Use(ctx, "x", testNow.Add(time.Hour), testNow); err == nil || errors.Is(err, ErrReused) {
		t.Fatalf("Use with canceled context = %v, want a context error", err)
	}
	if _, err := NewLedger(nil); err == nil {
		t.Fatal("NewLedger(nil) succeeded")
	}
}
