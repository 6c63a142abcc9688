package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/sync/outbox"
)

const recordID = "5d0c3f8e-0a51-4c3e-9a57-3b1c2d4e5f60"

func recordBody(extra string) []byte {
	return []byte(`{"format":"signkiosk-failed-session/1","record":{"reason":"biometric_failed","note":"` + marker + extra + `"}}`)
}

// A failed session's record is an outbox item like a package: queued
// durably and encrypted, idempotent under its id, due with the packages,
// delivered, failed, dead, requeued and purged by the same rules, counted
// apart for staff.
func TestFailedSessionRecordLifecycle(t *testing.T) {
	ctx := context.Background()
	o, clk, path, _ := newOutbox(t)
	if err := o.Enqueue(ctx, pkg(t, 0)); err != nil {
		t.Fatal(err)
	}
	body := recordBody("")
	if err := o.EnqueueFailedSession(ctx, recordID, body); err != nil {
		t.Fatal(err)
	}
	if err := o.EnqueueFailedSession(ctx, recordID, body); err != nil {
		t.Fatalf("the same record again: %v", err)
	}
	if err := o.EnqueueFailedSession(ctx, recordID, recordBody("other")); !errors.Is(err, outbox.ErrDuplicate) {
		t.Fatalf("other bytes under the id: %v", err)
	}
	if err := o.Enqueue(ctx, outbox.Package{ID: recordID, TicketID: "t-x", SignedAt: clk.Now(), Zip: []byte("zip")}); !errors.Is(err, outbox.ErrDuplicate) {
		t.Fatalf("a package under the record's id: %v", err)
	}

	due, err := o.Due(ctx, 0)
	if err != nil || len(due) != 2 {
		t.Fatalf("due: %+v %v", due, err)
	}
	kinds := map[string]outbox.Kind{}
	for _, it := range due {
		kinds[it.ID] = it.Kind
	}
	if kinds[recordID] != outbox.KindFailedSession || kinds[pkg(t, 0).ID] != outbox.KindPackage {
		t.Fatalf("kinds: %v", kinds)
	}
	got, err := o.Payload(ctx, recordID)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("payload: %q %v", got, err)
	}
	files, _ := filepath.Glob(path + "*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(marker)) || bytes.Contains(b, []byte("biometric_failed")) {
			t.Fatalf("%s holds the record in plaintext", filepath.Base(f))
		}
	}

	// Failed, then dead, then requeued, then delivered and purged.
	if err := o.MarkFailed(ctx, recordID, "head office error: HTTP 503", clk.Now().Add(time.Minute), false); err != nil {
		t.Fatal(err)
	}
	if err := o.MarkFailed(ctx, recordID, "rejected by head office: HTTP 422 invalid_record", clk.Now(), true); err != nil {
		t.Fatal(err)
	}
	st, err := o.Stats(ctx)
	if err != nil || st.Dead != 1 || st.RecordsDead != 1 || st.Pending != 1 || st.RecordsPending != 0 {
		t.Fatalf("stats after dead letter: %+v %v", st, err)
	}
	if n, err := o.Requeue(ctx); err != nil || n != 1 {
		t.Fatalf("requeue: %d %v", n, err)
	}
	if err := o.MarkDelivered(ctx, recordID); err != nil {
		t.Fatal(err)
	}
	clk.Add(8 * 24 * time.Hour)
	if n, err := o.Purge(ctx, 7*24*time.Hour); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if _, err := o.Payload(ctx, recordID); !errors.Is(err, outbox.ErrNotFound) {
		t.Fatalf("payload after purge: %v", err)
	}
	st, err = o.Stats(ctx)
	if err != nil || st.RecordsDelivered != 1 || st.Delivered != 1 || st.Purged != 1 {
		t.Fatalf("stats after delivery: %+v %v", st, err)
	}
	items, err := o.List(ctx, 0)
	if err != nil || len(items) != 2 {
		t.Fatalf("list: %+v %v", items, err)
	}
}

// A database from before failed-session records (schema version 2, with a
// package in it) opens, its package stays a package, and it takes records.
func TestMigrationAddsKinds(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "kiosk.db")
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	queries := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`}
	for i, name := range []string{"0001_init.sql", "0002_payloads_apart.sql"} {
		b, err := os.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		queries = append(queries, string(b), `INSERT INTO schema_migrations VALUES (`+string(rune('1'+i))+`, '`+name+`', 0)`)
	}
	queries = append(queries,
		`INSERT INTO outbox (id, state, digest, size, created_at, next_attempt_at) VALUES ('old', 'pending', 'd', 3, 0, 0)`,
		`INSERT INTO outbox_payloads (id, payload) VALUES ('old', x'010203')`)
	for _, q := range queries {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%v: %s", err, q)
		}
	}
	o, err := outbox.Open(ctx, db, testKey(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	items, err := o.List(ctx, 0)
	if err != nil || len(items) != 1 || items[0].Kind != outbox.KindPackage {
		t.Fatalf("the old row: %+v %v", items, err)
	}
	if err := o.EnqueueFailedSession(ctx, recordID, recordBody("")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE outbox SET kind = 'other' WHERE id = 'old'`); err == nil {
		t.Fatal("the kind column takes any value")
	}
}
