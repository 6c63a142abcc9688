package outbox_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/sync/outbox"
)

// marker sits inside every test ZIP (stored, not deflated) so a plaintext
// payload on disk would show it verbatim.
const marker = "PLAINTEXT-MARKER-must-never-reach-disk"

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)} }
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, outbox.KeySize)
	rand.Read(k)
	return k
}

func openDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newOutbox(t testing.TB) (*outbox.Outbox, *clock, string, []byte) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kiosk.db")
	key := testKey(t)
	c := newClock()
	o, err := outbox.Open(context.Background(), openDB(t, p), key, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	return o, c, p, key
}

func makeZip(t testing.TB, name string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, "%s %s", marker, name)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pkg(t testing.TB, n int) outbox.Package {
	return outbox.Package{
		ID: fmt.Sprintf("pkg-%04d", n), TicketID: fmt.Sprintf("tkt-%04d", n),
		SignedAt: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), Zip: makeZip(t, fmt.Sprintf("f%d.txt", n)),
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	o, c, _, _ := newOutbox(t)
	p := pkg(t, 1)
	if err := o.Enqueue(ctx, p); err != nil {
		t.Fatal(err)
	}
	c.Add(time.Second)
	if err := o.Enqueue(ctx, pkg(t, 2)); err != nil {
		t.Fatal(err)
	}
	due, err := o.Due(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 || due[0].ID != p.ID || due[1].ID != "pkg-0002" {
		t.Fatalf("due = %+v, want pkg-0001 then pkg-0002", due)
	}
	sum := sha256.Sum256(p.Zip)
	it := due[0]
	if it.State != outbox.Pending || it.Attempts != 0 || it.Size != int64(len(p.Zip)) ||
		it.Digest != fmt.Sprintf("%x", sum) || !it.CreatedAt.Equal(newClock().Now()) || !it.NextAttemptAt.Equal(it.CreatedAt) {
		t.Fatalf("item = %+v", it)
	}
	got, err := o.Payload(ctx, p.ID)
	if err != nil || !bytes.Equal(got, p.Zip) {
		t.Fatalf("payload differs (err %v)", err)
	}
	if _, err := o.Payload(ctx, "nope"); !errors.Is(err, outbox.ErrNotFound) {
		t.Fatalf("unknown payload: %v", err)
	}
	if due, _ := o.Due(ctx, 1); len(due) != 1 {
		t.Fatalf("limit 1 gave %d", len(due))
	}
}

func TestEnqueueIdempotentAndDuplicate(t *testing.T) {
	ctx := context.Background()
	o, _, _, _ := newOutbox(t)
	p := pkg(t, 1)
	for range 2 {
		if err := o.Enqueue(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	other := p
	other.Zip = makeZip(t, "other")
	if err := o.Enqueue(ctx, other); !errors.Is(err, outbox.ErrDuplicate) {
		t.Fatalf("other digest: %v, want ErrDuplicate", err)
	}
	sameTicket := pkg(t, 2)
	sameTicket.TicketID = p.TicketID
	if err := o.Enqueue(ctx, sameTicket); !errors.Is(err, outbox.ErrDuplicate) {
		t.Fatalf("second package for one ticket: %v, want ErrDuplicate", err)
	}
	st, _ := o.Stats(ctx)
	if st.Pending != 1 {
		t.Fatalf("pending = %d, want 1 (the failed enqueue rolled back)", st.Pending)
	}
	if got, _ := o.Payload(ctx, p.ID); !bytes.Equal(got, p.Zip) {
		t.Fatal("original payload changed")
	}
}

func TestNoPlaintextOnDisk(t *testing.T) {
	ctx := context.Background()
	o, _, p, _ := newOutbox(t)
	if !bytes.Contains(pkg(t, 0).Zip, []byte(marker)) {
		t.Fatal("test ZIP does not carry the marker verbatim; the check below would prove nothing")
	}
	for i := range 5 {
		if err := o.Enqueue(ctx, pkg(t, i)); err != nil {
			t.Fatal(err)
		}
	}
	// While open the rows live in the WAL; check it and the main file.
	files, _ := filepath.Glob(p + "*")
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		seen += len(b)
		if bytes.Contains(b, []byte(marker)) {
			t.Fatalf("%s holds the plaintext marker", filepath.Base(f))
		}
	}
	if seen == 0 || len(files) < 2 {
		t.Fatalf("checked %d files, %d bytes; want the DB and its WAL", len(files), seen)
	}
}

func TestKeyErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kp := filepath.Join(dir, "outbox.key")
	if _, err := outbox.LoadOrCreateKey(kp, false); !errors.Is(err, outbox.ErrKey) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing key: %v", err)
	}
	key, err := outbox.LoadOrCreateKey(kp, true)
	if err != nil || len(key) != outbox.KeySize {
		t.Fatalf("create: %v", err)
	}
	st, _ := os.Stat(kp)
	b, _ := os.ReadFile(kp)
	if st.Mode().Perm() != 0o600 || len(b) != 65 || b[64] != '\n' {
		t.Fatalf("key file mode %o, %d bytes", st.Mode().Perm(), len(b))
	}
	again, err := outbox.LoadOrCreateKey(kp, true)
	if err != nil || !bytes.Equal(again, key) {
		t.Fatalf("reload: %v", err)
	}
	os.Chmod(kp, 0o644)
	if _, err := outbox.LoadOrCreateKey(kp, false); !errors.Is(err, outbox.ErrKey) || !strings.Contains(err.Error(), "0644") {
		t.Fatalf("mode 0644: %v", err)
	}
	for name, content := range map[string]string{"short": "abcd\n", "nothex": strings.Repeat("zz", 32) + "\n"} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		if _, err := outbox.LoadOrCreateKey(p, false); !errors.Is(err, outbox.ErrKey) {
			t.Errorf("%s: %v, want ErrKey", name, err)
		}
	}

	// A wrong key is caught at Open, before any payload is touched.
	dbp := filepath.Join(dir, "kiosk.db")
	db := openDB(t, dbp)
	o, err := outbox.Open(ctx, db, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Enqueue(ctx, pkg(t, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := outbox.Open(ctx, db, testKey(t), nil); !errors.Is(err, outbox.ErrKey) {
		t.Fatalf("wrong key: %v, want ErrKey", err)
	}
	if _, err := outbox.Open(ctx, db, key[:16], nil); !errors.Is(err, outbox.ErrKey) {
		t.Fatalf("short key: %v, want ErrKey", err)
	}
	if o2, err := outbox.Open(ctx, db, key, nil); err != nil {
		t.Fatal(err)
	} else if _, err := o2.Payload(ctx, "pkg-0001"); err != nil {
		t.Fatal(err)
	}
}

func TestDeliveryLifecycle(t *testing.T) {
	ctx := context.Background()
	o, c, _, _ := newOutbox(t)
	for i := 1; i <= 3; i++ {
		if err := o.Enqueue(ctx, pkg(t, i)); err != nil {
			t.Fatal(err)
		}
		c.Add(time.Minute)
	}
	start := c.Now()
	// pkg-0001 fails and waits ten minutes.
	if err := o.MarkFailed(ctx, "pkg-0001", "head office: 503\nretry", start.Add(10*time.Minute), false); err != nil {
		t.Fatal(err)
	}
	due, _ := o.Due(ctx, 0)
	if len(due) != 2 || due[0].ID != "pkg-0002" {
		t.Fatalf("due after failure = %+v", due)
	}
	c.Add(10 * time.Minute)
	due, _ = o.Due(ctx, 0)
	if len(due) != 3 || due[0].ID != "pkg-0001" || due[0].Attempts != 1 || due[0].LastError != "head office: 503 retry" {
		t.Fatalf("due after wait = %+v", due)
	}
	// pkg-0002 becomes a dead letter; pkg-0003 is delivered.
	if err := o.MarkFailed(ctx, "pkg-0002", "409 conflict", time.Time{}, true); err != nil {
		t.Fatal(err)
	}
	if err := o.MarkDelivered(ctx, "pkg-0003"); err != nil {
		t.Fatal(err)
	}
	if err := o.MarkDelivered(ctx, "pkg-0003"); err != nil { // a racing second mark counts nothing
		t.Fatal(err)
	}
	if err := o.MarkFailed(ctx, "pkg-0003", "late", c.Now(), false); err != nil {
		t.Fatal(err)
	}
	if err := o.MarkDelivered(ctx, "missing"); !errors.Is(err, outbox.ErrNotFound) {
		t.Fatalf("deliver unknown: %v", err)
	}
	if err := o.MarkFailed(ctx, "missing", "x", c.Now(), false); !errors.Is(err, outbox.ErrNotFound) {
		t.Fatalf("fail unknown: %v", err)
	}
	items, _ := o.List(ctx, 0)
	byID := map[string]outbox.Item{}
	for _, it := range items {
		byID[it.ID] = it
	}
	if items[0].ID != "pkg-0003" {
		t.Fatalf("list not newest first: %v", items[0].ID)
	}
	// Delivered at its first attempt: 1 attempt, the delivering one.
	if d := byID["pkg-0003"]; d.State != outbox.Delivered || d.Attempts != 1 || !d.DeliveredAt.Equal(c.Now()) {
		t.Fatalf("delivered item = %+v (the delivering attempt counts once; a late failure must not undo delivery)", d)
	}
	if d := byID["pkg-0002"]; d.State != outbox.Dead || d.Attempts != 1 {
		t.Fatalf("dead item = %+v", d)
	}

	if err := o.RecordSync(ctx, false); err != nil {
		t.Fatal(err)
	}
	attempt := c.Now()
	st, err := o.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := outbox.Stats{Pending: 1, Delivered: 1, Dead: 1, OldestPending: newClock().Now(), LastAttempt: attempt}
	if st != want {
		t.Fatalf("stats = %+v\nwant    %+v", st, want)
	}

	// Requeue: an id that is not dead is skipped; no ids means all dead.
	if n, err := o.Requeue(ctx, "pkg-0001", "missing"); err != nil || n != 0 {
		t.Fatalf("requeue non-dead: %d %v", n, err)
	}
	c.Add(time.Hour)
	if n, err := o.Requeue(ctx); err != nil || n != 1 {
		t.Fatalf("requeue all: %d %v", n, err)
	}
	due, _ = o.Due(ctx, 0)
	if len(due) != 2 || due[1].ID != "pkg-0002" || due[1].Attempts != 0 || !due[1].NextAttemptAt.Equal(c.Now()) {
		t.Fatalf("after requeue = %+v", due)
	}

	// Purge: not before the retention has passed since delivery.
	if n, err := o.Purge(ctx, 30*24*time.Hour); err != nil || n != 0 {
		t.Fatalf("early purge: %d %v", n, err)
	}
	c.Add(30 * 24 * time.Hour)
	if n, err := o.Purge(ctx, 30*24*time.Hour); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if n, _ := o.Purge(ctx, 30*24*time.Hour); n != 0 {
		t.Fatalf("second purge changed %d", n)
	}
	if _, err := o.Payload(ctx, "pkg-0003"); !errors.Is(err, outbox.ErrNotFound) {
		t.Fatalf("purged payload: %v", err)
	}
	if err := o.RecordSync(ctx, true); err != nil {
		t.Fatal(err)
	}
	st, _ = o.Stats(ctx)
	if st.Purged != 1 || st.Delivered != 1 || st.Pending != 2 || !st.LastSuccess.Equal(c.Now()) || !st.LastAttempt.Equal(c.Now()) {
		t.Fatalf("stats after purge = %+v", st)
	}
	if ls, _ := o.LastSuccess(ctx); !ls.Equal(c.Now()) {
		t.Fatalf("last success %v", ls)
	}
	items, _ = o.List(ctx, 1)
	if len(items) != 1 || items[0].ID != "pkg-0003" || items[0].Digest == "" {
		t.Fatalf("purged metadata not kept: %+v", items)
	}
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "kiosk.db")
	db := openDB(t, p)
	key := testKey(t)
	for range 2 {
		if _, err := outbox.Open(ctx, db, key, nil); err != nil {
			t.Fatal(err)
		}
	}
	var n, v int
	db.QueryRow(`SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &v)
	if n != 3 || v != 3 {
		t.Fatalf("schema_migrations has %d rows up to %d, want 3 and 3", n, v)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '0099_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	_, err := outbox.Open(ctx, db, key, nil)
	if !errors.Is(err, outbox.ErrNewerSchema) || !strings.Contains(err.Error(), "version 99") {
		t.Fatalf("newer schema: %v", err)
	}
}

func TestConcurrentEnqueue(t *testing.T) {
	ctx := context.Background()
	o, _, _, _ := newOutbox(t)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				p := pkg(t, w*each+i)
				if err := o.Enqueue(ctx, p); err != nil {
					errs <- err
				}
				// Every worker also retries a shared id: idempotent under contention.
				if err := o.Enqueue(ctx, pkg(t, 9999)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st, err := o.Stats(ctx)
	if err != nil || st.Pending != workers*each+1 {
		t.Fatalf("pending = %d (%v), want %d", st.Pending, err, workers*each+1)
	}
}

func TestCorruptDatabaseRefusedUntouched(t *testing.T) {
	ctx := context.Background()
	for _, damage := range []string{"truncated", "garbled"} {
		t.Run(damage, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "kiosk.db")
			db, err := store.Open(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			o, err := outbox.Open(ctx, db, testKey(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 20 {
				if err := o.Enqueue(ctx, pkg(t, i)); err != nil {
					t.Fatal(err)
				}
			}
			db.Close() // checkpoints the WAL into the main file
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			switch damage {
			case "truncated":
				b = b[:len(b)/2+100]
			case "garbled": // pages 2 and 3 (the header's bytes 16-17 give the page size)
				ps := int(b[16])<<8 | int(b[17])
				for i := ps; i < len(b) && i < 3*ps; i++ {
					b[i] ^= 0x5a
				}
			}
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			db2, err := store.Open(ctx, p)
			if err == nil {
				db2.Close()
				t.Fatal("damaged database opened")
			}
			if !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("err = %v, want store.ErrCorrupt", err)
			}
			after, _ := os.ReadFile(p)
			if !bytes.Equal(after, b) {
				t.Fatal("refusing the damaged file changed it")
			}
		})
	}
}

// A write that cannot happen (here: a read-only database, as on a full or
// failing disk) is an error, and everything already stored stays readable.
func TestWriteFailureLosesNothing(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "kiosk.db")
	key := testKey(t)
	db, err := store.Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	o, err := outbox.Open(ctx, db, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	var kept []outbox.Package
	for i := range 3 {
		kept = append(kept, pkg(t, i))
		if err := o.Enqueue(ctx, kept[i]); err != nil {
			t.Fatal(err)
		}
	}
	// A closed database: every call fails cleanly.
	db.Close()
	if err := o.Enqueue(ctx, pkg(t, 10)); err == nil {
		t.Fatal("enqueue on a closed database succeeded")
	}
	if err := o.MarkDelivered(ctx, "pkg-0000"); err == nil {
		t.Fatal("mark on a closed database succeeded")
	}

	// A read-only database: opens (the schema is current), writes fail.
	before, _ := os.ReadFile(p)
	ro, err := sql.Open("sqlite3", "file:"+p+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	oro, err := outbox.Open(ctx, ro, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := oro.Enqueue(ctx, pkg(t, 11)); err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Fatalf("enqueue read-only: %v", err)
	}
	if err := oro.MarkFailed(ctx, "pkg-0000", "x", time.Now(), true); err == nil {
		t.Fatal("mark failed on read-only succeeded")
	}
	if _, err := oro.Requeue(ctx); err == nil {
		t.Fatal("requeue on read-only succeeded")
	}
	if got, err := oro.Payload(ctx, "pkg-0001"); err != nil || !bytes.Equal(got, kept[1].Zip) {
		t.Fatalf("read-only payload: %v", err)
	}
	ro.Close()
	if after, _ := os.ReadFile(p); !bytes.Equal(after, before) {
		t.Fatal("read-only session changed the file")
	}

	// Reopened normally: the three packages are all there, intact.
	o2, err := outbox.Open(ctx, openDB(t, p), key, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := o2.Stats(ctx)
	if st.Pending != 3 {
		t.Fatalf("pending = %d, want 3", st.Pending)
	}
	for _, k := range kept {
		if got, err := o2.Payload(ctx, k.ID); err != nil || !bytes.Equal(got, k.Zip) {
			t.Fatalf("%s lost: %v", k.ID, err)
		}
	}
}

// BenchmarkEnqueue500K times Enqueue of a 500 KB package with
// synchronous=FULL on the test machine's disk, reporting p50/p99.
func BenchmarkEnqueue500K(b *testing.B) {
	ctx := context.Background()
	o, _, _, _ := newOutbox(b)
	payload := make([]byte, 500<<10)
	rand.Read(payload)
	var durs []time.Duration
	i := 0
	for b.Loop() {
		payload[0], payload[1], payload[2] = byte(i), byte(i>>8), byte(i>>16) // a distinct digest each time
		p := outbox.Package{ID: fmt.Sprintf("bench-%d", i), TicketID: fmt.Sprintf("t-%d", i), SignedAt: time.Now(), Zip: payload}
		start := time.Now()
		if err := o.Enqueue(ctx, p); err != nil {
			b.Fatal(err)
		}
		durs = append(durs, time.Since(start))
		i++
	}
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	pct := func(q float64) float64 { return float64(durs[int(q*float64(len(durs)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.SetBytes(int64(len(payload)))
}

// BenchmarkPayload500K times reading one 500 KB package back (SQLite read,
// AES-GCM open) into a reused buffer, as the uploader does, from a
// checkpointed database of 100 packages; "open only" is the AES-GCM part.
func BenchmarkPayload500K(b *testing.B) {
	ctx := context.Background()
	o, _, _, _ := newOutbox(b)
	payload := make([]byte, 500<<10)
	rand.Read(payload)
	const n = 100
	for i := range n {
		payload[0] = byte(i)
		p := outbox.Package{ID: fmt.Sprintf("bench-%d", i), TicketID: fmt.Sprintf("t-%d", i), SignedAt: time.Now(), Zip: payload}
		if err := o.Enqueue(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(payload)))
	var buf []byte
	var err error
	for i := 0; b.Loop(); i++ {
		if buf, err = o.AppendPayload(ctx, buf[:0], fmt.Sprintf("bench-%d", i%n)); err != nil {
			b.Fatal(err)
		}
	}
}

// A full disk, simulated with SQLite's own page limit: the enqueue fails with
// SQLite's "disk is full", rolls back whole (no half row, no signed session
// without its package), and works again once there is room.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "kiosk.db")
	db := openDB(t, p)
	db.SetMaxOpenConns(1) // max_page_count is per connection
	o, err := outbox.Open(ctx, db, testKey(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	first := pkg(t, 1)
	if err := o.Enqueue(ctx, first); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := db.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages+2)); err != nil {
		t.Fatal(err)
	}
	big := pkg(t, 2)
	big.Zip = make([]byte, 256<<10)
	rand.Read(big.Zip)
	err = o.Enqueue(ctx, big)
	if err == nil || !strings.Contains(err.Error(), "full") {
		t.Fatalf("enqueue on a full disk: %v", err)
	}
	var sessions int
	db.QueryRow(`SELECT count(*) FROM signed_sessions`).Scan(&sessions)
	st, _ := o.Stats(ctx)
	if st.Pending != 1 || sessions != 1 {
		t.Fatalf("after the failure: %d pending, %d signed sessions; want 1 and 1", st.Pending, sessions)
	}
	if got, err := o.Payload(ctx, first.ID); err != nil || !bytes.Equal(got, first.Zip) {
		t.Fatalf("earlier package damaged: %v", err)
	}
	if _, err := db.Exec(`PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	if err := o.Enqueue(ctx, big); err != nil {
		t.Fatalf("enqueue with room again: %v", err)
	}
}

// A database written by the first schema (payload inside the outbox row)
// keeps every payload when migration 2 moves them to their own table.
func TestMigrationMovesPayloads(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "kiosk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v1, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`,
		string(v1),
		`INSERT INTO schema_migrations VALUES (1, '0001_init.sql', 0)`,
		`INSERT INTO outbox (id, state, digest, size, created_at, next_attempt_at, payload) VALUES ('a', 'pending', 'd', 3, 0, 0, x'010203')`,
		`INSERT INTO outbox (id, state, digest, size, created_at, next_attempt_at, purged_at) VALUES ('b', 'delivered', 'd', 3, 0, 0, 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%v: %s", err, q)
		}
	}
	key, err := outbox.LoadOrCreateKey(filepath.Join(t.TempDir(), "k"), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := outbox.Open(ctx, db, key, nil); err != nil {
		t.Fatal(err)
	}
	var got []byte
	if err := db.QueryRow(`SELECT payload FROM outbox_payloads WHERE id = 'a'`).Scan(&got); err != nil || string(got) != "\x01\x02\x03" {
		t.Fatalf("payload a: %x %v", got, err)
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM outbox_payloads`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d payload rows, want 1 (b was purged)", n)
	}
}

// Marks of several deliveries share one transaction; an unknown id does not
// stop the known ones.
func TestMarkDeliveredBatch(t *testing.T) {
	o, _, _, _ := newOutbox(t)
	ctx := context.Background()
	for i := range 3 {
		id := fmt.Sprintf("pkg-%04d", i)
		if err := o.Enqueue(ctx, outbox.Package{ID: id, TicketID: "t-" + id, SignedAt: time.Now(), Zip: []byte("zip " + id)}); err != nil {
			t.Fatal(err)
		}
	}
	err := o.MarkDelivered(ctx, "pkg-0000", "nope", "pkg-0002")
	if !errors.Is(err, outbox.ErrNotFound) || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("err = %v", err)
	}
	st, err := o.Stats(ctx)
	if err != nil || st.Delivered != 2 || st.Pending != 1 {
		t.Fatalf("stats %+v %v", st, err)
	}
}
