package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"almatel.kz/signkiosk/sync/headoffice"
	"almatel.kz/signkiosk/sync/headoffice/indextest"
)

func open(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func body(seed uint64, n int) ([]byte, string) {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

func read(t *testing.T, s *Store, id string) []byte {
	t.Helper()
	rc, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return b
}

// Bodies of no bytes, one chunk and several come back as they went in.
func TestPutGetDigest(t *testing.T) {
	s := open(t, db(t))
	ctx := context.Background()
	for i, n := range []int{0, 1, 300 << 10, ChunkSize, 2*ChunkSize + ChunkSize/2} {
		b, d := body(uint64(i), n)
		id := uuid.NewString()
		created, err := s.Put(ctx, id, d, bytes.NewReader(b), int64(n))
		if err != nil || !created {
			t.Fatalf("%d bytes: created %v, %v", n, created, err)
		}
		if got := read(t, s, id); !bytes.Equal(got, b) {
			t.Fatalf("%d bytes: read back %d bytes, not the same", n, len(got))
		}
		if got, ok, err := s.Digest(ctx, id); err != nil || !ok || got != d {
			t.Fatalf("%d bytes: digest %q %v %v", n, got, ok, err)
		}
	}
	if _, err := s.Get(ctx, uuid.NewString()); !errors.Is(err, headoffice.ErrNotFound) {
		t.Fatalf("unknown id: %v, want ErrNotFound", err)
	}
	if _, ok, err := s.Digest(ctx, uuid.NewString()); ok || err != nil {
		t.Fatalf("unknown id: digest %v %v", ok, err)
	}
	if _, err := s.Put(ctx, "../etc", "", strings.NewReader(""), 0); err == nil {
		t.Fatal("an invalid id was stored")
	}
}

// The same bytes again are held already; other bytes under the id are a
// conflict, and the held body stays.
func TestPutSameAndConflict(t *testing.T) {
	s := open(t, db(t))
	ctx := context.Background()
	id := uuid.NewString()
	b, d := body(1, 5000)
	if created, err := s.Put(ctx, id, d, bytes.NewReader(b), int64(len(b))); !created || err != nil {
		t.Fatalf("first put: %v %v", created, err)
	}
	if created, err := s.Put(ctx, id, d, bytes.NewReader(b), int64(len(b))); created || err != nil {
		t.Fatalf("same bytes: created %v, %v; want held", created, err)
	}
	o, od := body(2, 5000)
	if _, err := s.Put(ctx, id, od, bytes.NewReader(o), int64(len(o))); !errors.Is(err, headoffice.ErrConflict) {
		t.Fatalf("other bytes: %v, want ErrConflict", err)
	}
	if got := read(t, s, id); !bytes.Equal(got, b) {
		t.Fatal("the held body changed")
	}
}

type failingReader struct{ after int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("connection reset")
	}
	n := min(len(p), f.after)
	f.after -= n
	return n, nil
}

// A body that is not what was announced, or that breaks off, leaves
// nothing: the id stays free for the right body.
func TestPutMismatchLeavesNothing(t *testing.T) {
	s := open(t, db(t))
	ctx := context.Background()
	b, d := body(3, ChunkSize+100)
	id := uuid.NewString()
	for name, c := range map[string]struct {
		r    io.Reader
		size int64
		want error
	}{
		"wrong digest": {bytes.NewReader(b[1:]), int64(len(b) - 1), headoffice.ErrBodyMismatch},
		"short":        {bytes.NewReader(b[:len(b)-1]), int64(len(b)), headoffice.ErrBodyMismatch},
		"long":         {io.MultiReader(bytes.NewReader(b), strings.NewReader("x")), int64(len(b)), headoffice.ErrBodyMismatch},
		"breaks off":   {&failingReader{after: ChunkSize + 10}, int64(len(b)), nil},
	} {
		created, err := s.Put(ctx, id, d, c.r, c.size)
		if created || err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Fatalf("%s: created %v, %v; want %v", name, created, err, c.want)
		}
		if _, ok, _ := s.Digest(ctx, id); ok {
			t.Fatalf("%s: a body is held", name)
		}
	}
	if created, err := s.Put(ctx, id, d, bytes.NewReader(b), int64(len(b))); !created || err != nil {
		t.Fatalf("the right body after the failures: %v %v", created, err)
	}
}

// Two replicas over one database, opened (and migrating) at once, each
// sent every package at the same moment: each is stored once, one
// replica says created and the other held, and both read it back.
func TestTwoReplicasStoreOnce(t *testing.T) {
	dsn := db(t)
	var a, b *Store
	var wg sync.WaitGroup
	var errA, errB error
	wg.Go(func() { a, errA = Open(context.Background(), dsn) })
	wg.Go(func() { b, errB = Open(context.Background(), dsn) })
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("open: %v, %v", errA, errB)
	}
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	for i := range 30 {
		data, d := body(uint64(100+i), 200<<10)
		id := uuid.NewString()
		var ca, cb bool
		var ea, eb error
		wg.Go(func() { ca, ea = a.Put(ctx, id, d, bytes.NewReader(data), int64(len(data))) })
		wg.Go(func() { cb, eb = b.Put(ctx, id, d, bytes.NewReader(data), int64(len(data))) })
		wg.Wait()
		if ea != nil || eb != nil || ca == cb {
			t.Fatalf("package %d: replica A created %v (%v), B %v (%v); want exactly one", i, ca, ea, cb, eb)
		}
		if got := read(t, b, id); !bytes.Equal(got, data) {
			t.Fatalf("package %d: replica B reads another body", i)
		}
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var rows, versions int
	if err := a.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&rows, &versions); err != nil ||
		rows != len(ms) || versions != len(ms) {
		t.Fatalf("%d migrations recorded, %d versions (%v); want each of %d once", rows, versions, err, len(ms))
	}
}

// PostgreSQL crashes (an immediate stop: no checkpoint, the WAL replayed
// on start) while four writers keep storing: every package a Put
// acknowledged is there afterwards, whole.
func TestNothingAcknowledgedIsLostWhenPostgresRestarts(t *testing.T) {
	s := open(t, db(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type ack struct{ id, digest string }
	var mu sync.Mutex
	var acked []ack
	failed := 0
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				data, d := body(uint64(w<<20|i), 50<<10+i%7*1000)
				id := uuid.NewString()
				pctx, pcancel := context.WithTimeout(ctx, 10*time.Second)
				_, err := s.Put(pctx, id, d, bytes.NewReader(data), int64(len(data)))
				pcancel()
				mu.Lock()
				if err == nil {
					acked = append(acked, ack{id, d})
				} else {
					failed++
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	waitAcks := func(n int) {
		for deadline := time.Now().Add(time.Minute); ; {
			mu.Lock()
			have := len(acked)
			mu.Unlock()
			if have >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d packages stored in a minute", have)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitAcks(40)
	if err := cluster.Stop(true); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	atCrash := len(acked)
	mu.Unlock()
	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	waitAcks(atCrash + 40)
	cancel()
	wg.Wait()
	for _, a := range acked {
		d, ok, err := s.Digest(context.Background(), a.id)
		if err != nil || !ok || d != a.digest {
			t.Fatalf("package %s acknowledged before or after the crash is gone (%v %v)", a.id, ok, err)
		}
		got := read(t, s, a.id)
		if sum := sha256.Sum256(got); hex.EncodeToString(sum[:]) != a.digest {
			t.Fatalf("package %s reads back other bytes", a.id)
		}
	}
	t.Logf("%d packages acknowledged (%d before the crash), %d puts failed while the server was down; none lost", len(acked), atCrash, failed)
}

// A database a newer release has migrated is refused, not written to.
func TestOpenRefusesANewerSchema(t *testing.T) {
	dsn := db(t)
	open(t, dsn).Close()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES (999, '0999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if _, err := Open(ctx, dsn); err == nil || !strings.Contains(err.Error(), "upgrade this head office") {
		t.Fatalf("open: %v, want a refusal naming the upgrade", err)
	}
}

func TestOpenBadDSN(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, dsn := range []string{"postgres://%zz", "host=/nonexistent-socket-dir port=5432 user=x dbname=y connect_timeout=2"} {
		if _, err := Open(ctx, dsn); err == nil || !strings.HasPrefix(err.Error(), "postgres: ") {
			t.Errorf("%q: %v, want a postgres: error", dsn, err)
		}
	}
}

// The PostgreSQL index keeps the contract the SQLite one does.
func TestIndexContract(t *testing.T) {
	indextest.Run(t, func(t *testing.T) headoffice.Index { return open(t, db(t)) })
}
