package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/sync/outbox"
	"almatel.kz/signkiosk/sync/pki"
	"almatel.kz/signkiosk/sync/uploader"
)

const (
	bodySize    = 500 << 10 // one package, as in issue 4
	concurrency = 4         // the uploader's default
)

// link is a demo PKI and the kiosk's client TLS config.
type link struct {
	pki    *pki.PKI
	client *tls.Config
}

func newLink(tb testing.TB) link {
	tb.Helper()
	dir := tb.TempDir()
	p, err := pki.LoadOrCreate(filepath.Join(dir, "pki"), time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	cert, key, err := p.ClientCert(filepath.Join(dir, "kiosk"), "ALM-001-K1")
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err := pki.ClientTLS(p.CAPath(), cert, key)
	if err != nil {
		tb.Fatal(err)
	}
	return link{pki: p, client: cfg}
}

// serve starts h behind the head office's mTLS config on loopback and
// counts connections and non-HTTP/1.1 requests, so a figure taken over
// fresh handshakes or HTTP/2 would show.
type server struct {
	*httptest.Server
	conns atomic.Int64
	notH1 atomic.Int64
}

func serve(tb testing.TB, l link, h http.Handler) *server {
	tb.Helper()
	s := &server{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 1 || r.ProtoMinor != 1 {
			s.notH1.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	s.TLS = pki.ServerTLS(l.pki)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.StartTLS()
	tb.Cleanup(s.Close)
	return s
}

// digestSink is the receiver both clients talk to in the comparison: it
// streams the body through SHA-256, checks it against Content-Digest and
// answers 201. The real receiver additionally buffers the body, runs
// pack.Verify and stores it durably (see BenchmarkHeadOffice).
func digestSink() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		if _, err := io.Copy(h, r.Body); err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		if r.Header.Get("Content-Digest") != "sha-256=:"+base64.StdEncoding.EncodeToString(h.Sum(nil))+":" {
			http.Error(w, "digest", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
}

// body is package i's deterministic random bytes, so the memory run can
// make them on the fly instead of holding them.
func body(i int) []byte {
	var seed [32]byte
	seed[0], seed[1], seed[2] = byte(i), byte(i>>8), byte(i>>16)
	b := make([]byte, bodySize)
	_, _ = rand.NewChaCha8(seed).Read(b)
	return b
}

func contentDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
}

// rawPUT is the minimal Go client: a plain http.Client with the same TLS
// config, HTTP/1.1 keep-alive and the same concurrency, PUTting each body
// with its Content-Digest (computed beforehand, not timed).
func rawPUT(tb testing.TB, cfg *tls.Config, url string, ids []string, bodies [][]byte, digests []string) time.Duration {
	tb.Helper()
	return rawPUTWith(tb, cfg, url, ids, func(_ []byte, i int) []byte { return bodies[i] }, digests)
}

// rawPUTWith is rawPUT with each body made by bodyOf(buf, i), where buf is
// the worker's own buffer from its previous body (nil at first).
func rawPUTWith(tb testing.TB, cfg *tls.Config, url string, ids []string, bodyOf func(buf []byte, i int) []byte, digests []string) time.Duration {
	tb.Helper()
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig: cfg.Clone(), MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency,
	}}
	defer client.CloseIdleConnections()
	next := make(chan int)
	var wg sync.WaitGroup
	var failed atomic.Int64
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			var buf []byte
			for i := range next {
				buf = bodyOf(buf, i)
				req, err := http.NewRequest(http.MethodPut, url+"/v1/packages/"+ids[i], bytes.NewReader(buf))
				if err != nil {
					panic(err)
				}
				req.Header.Set("Content-Type", "application/zip")
				req.Header.Set("Content-Digest", digests[i])
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		})
	}
	for i := range ids {
		next <- i
	}
	close(next)
	wg.Wait()
	took := time.Since(start)
	if n := failed.Load(); n > 0 {
		tb.Fatalf("raw PUT: %d of %d failed", n, len(ids))
	}
	return took
}

// newOutbox opens a fresh outbox (app/store: WAL, synchronous=FULL) in dir.
func newOutbox(tb testing.TB, dir string) *outbox.Outbox {
	tb.Helper()
	ctx := context.Background()
	key, err := outbox.LoadOrCreateKey(filepath.Join(dir, "outbox.key"), true)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, "kiosk.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		tb.Fatal(err)
	}
	if os.Getenv("SIGNKIOSK_BENCH_NORMAL") == "1" {
		// Diagnostic only: the same outbox with WAL commits that do not
		// fsync, to show what the per-package commits cost. The kiosk
		// never runs like this.
		db.Close()
		if db, err = sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=5000&_foreign_keys=on"); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Cleanup(func() { db.Close() })
	ob, err := outbox.Open(ctx, db, key, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return ob
}

// enqueue puts n packages into ob, from 2 goroutines (encryption overlaps
// the serialised commits). get(i) gives package i's id and body.
func enqueue(tb testing.TB, ob *outbox.Outbox, n int, get func(i int) (string, []byte)) {
	tb.Helper()
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				id, zip := get(i)
				if err := ob.Enqueue(ctx, outbox.Package{ID: id, TicketID: fmt.Sprintf("t-%d", i), SignedAt: time.Now(), Zip: zip}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		tb.Fatal(err)
	}
}

// syncAll runs the kiosk's uploader once over ob and checks every package
// was delivered.
func syncAll(tb testing.TB, ob *outbox.Outbox, cfg *tls.Config, url string, n int) (uploader.Report, time.Duration) {
	tb.Helper()
	client := uploader.NewClient(cfg.Clone(), concurrency)
	defer client.CloseIdleConnections()
	q := &timedQueue{Queue: uploader.FromOutbox(ob)}
	u := uploader.New(uploader.Config{
		Queue: q, Client: client, BaseURL: url,
		Concurrency: concurrency, Log: zerolog.Nop(),
	})
	start := time.Now()
	rep, err := u.RunOnce(context.Background())
	took := time.Since(start)
	if err != nil || rep.Delivered != n {
		tb.Fatalf("sync: %+v, %v (want %d delivered)", rep, err, n)
	}
	st, err := ob.Stats(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("outbox after sync: %+v; summed over the %d workers: Payload %v, MarkDelivered %v, Due %v (wall %v)",
		st, concurrency, q.payload.Round(time.Millisecond), q.mark.Round(time.Millisecond), q.due.Round(time.Millisecond), took.Round(time.Millisecond))
	return rep, took
}

func newIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = uuid.NewString()
	}
	return ids
}

func mbps(bytes int64, d time.Duration) float64 { return float64(bytes) / 1e6 / d.Seconds() }

// memSampler reads runtime.MemStats every 100 ms and keeps the maxima.
type memSampler struct {
	stop                chan struct{}
	done                chan struct{}
	maxHeapInuse        uint64
	maxSys              uint64
	maxRSS              uint64 // from /proc/self/statm: includes SQLite's C heap, which MemStats cannot see
	samples             int
	startHeap, startSys uint64
}

func startSampler() *memSampler {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := &memSampler{stop: make(chan struct{}), done: make(chan struct{}), startHeap: ms.HeapInuse, startSys: ms.Sys}
	go func() {
		defer close(s.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-s.stop:
				s.sample()
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *memSampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.maxHeapInuse = max(s.maxHeapInuse, ms.HeapInuse)
	s.maxSys = max(s.maxSys, ms.Sys)
	s.maxRSS = max(s.maxRSS, rss())
	s.samples++
}

func (s *memSampler) Stop() {
	close(s.stop)
	<-s.done
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// timedQueue sums the time the uploader spends in the outbox's calls, to
// attribute the kiosk's sync time (summed over workers, so it can exceed
// the wall time).
type timedQueue struct {
	uploader.Queue
	mu                 sync.Mutex
	due, payload, mark time.Duration
}

func (q *timedQueue) add(d *time.Duration, start time.Time) {
	q.mu.Lock()
	*d += time.Since(start)
	q.mu.Unlock()
}

func (q *timedQueue) Due(ctx context.Context, limit int) ([]uploader.Item, error) {
	defer q.add(&q.due, time.Now())
	return q.Queue.Due(ctx, limit)
}

func (q *timedQueue) AppendPayload(ctx context.Context, dst []byte, id string) ([]byte, error) {
	defer q.add(&q.payload, time.Now())
	return q.Queue.AppendPayload(ctx, dst, id)
}

func (q *timedQueue) MarkDelivered(ctx context.Context, ids ...string) error {
	defer q.add(&q.mark, time.Now())
	return q.Queue.MarkDelivered(ctx, ids...)
}

// rss is the process's resident set in bytes (0 where /proc is missing).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, res uint64
	if _, err := fmt.Sscan(string(b), &size, &res); err != nil {
		return 0
	}
	return res * uint64(os.Getpagesize())
}
