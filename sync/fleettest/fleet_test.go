package fleettest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/pack/packtest"
	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/sync/headoffice"
	"almatel.kz/signkiosk/sync/headoffice/postgres"
	"almatel.kz/signkiosk/sync/headoffice/postgres/pgtest"
	"almatel.kz/signkiosk/sync/outbox"
	"almatel.kz/signkiosk/sync/pki"
	"almatel.kz/signkiosk/sync/uploader"
)

// The fleet test's settings, from the environment (scripts/fleet-test.sh).
func setting(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// TestFleet is `make fleet-test`: FLEET_KIOSKS kiosks (the real uploader,
// each with its own client certificate and outbox) deliver FLEET_PACKAGES
// packages of ~300 KB each through a load balancer, first to two
// head-office processes over one PostgreSQL, one of them killed with -9
// and started again a third of the way in and PostgreSQL crashed and
// started again at two thirds; then the same outboxes, as they were before
// the first delivery, to one process on the file store, killed -9 and
// started again a third of the way in. A line for each; it fails on any
// package lost or stored twice. Without FLEET_BIN (the signkiosk binary)
// it skips: make test does not run it.
func TestFleet(t *testing.T) {
	bin := os.Getenv("FLEET_BIN")
	if bin == "" {
		t.Skip("the fleet test runs from make fleet-test (FLEET_BIN=bin/signkiosk)")
	}
	kiosks, perKiosk := setting("FLEET_KIOSKS", 200), setting("FLEET_PACKAGES", 25)
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "headoffice")

	// What every package carries: one subscriber's long-term signature on
	// a ~300 KB document (random bytes: a ZIP does not shrink them).
	env := packtest.NewEnv(t)
	pdf := append([]byte("%PDF-1.7\n%"), make([]byte, 300<<10)...)
	rand.Read(pdf[10:])
	signed := env.Sign(t, "900101300123", pdf)
	roots := filepath.Join(dir, "roots.pem")
	must(t, os.WriteFile(roots, env.RootPEM(), 0o600))

	cluster := pgtest.Start(t)
	dsn := cluster.NewDatabase(t)
	pg, err := postgres.Open(ctx, dsn)
	must(t, err)
	defer pg.Close()
	sq, err := headoffice.OpenIndex(ctx, filepath.Join(data, "index.db"))
	must(t, err)
	defer sq.Close()

	// The kiosks, enrolled in both registers: device certificates as of
	// the signatures' fixed time (packtest's clock), client certificates
	// now.
	early, err := pki.LoadOrCreate(filepath.Join(data, "pki"), packtest.Now)
	must(t, err)
	now, err := pki.LoadOrCreate(filepath.Join(data, "pki"), time.Now)
	must(t, err)
	fleet := make([]*kiosk, kiosks)
	want := map[string]string{} // package id → hex digest
	var mu sync.Mutex
	buildStart := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i := range fleet {
		id := fmt.Sprintf("ALM-%03d-K1", i+1)
		_, key, err := ed25519.GenerateKey(nil)
		must(t, err)
		pub := key.Public().(ed25519.PublicKey)
		_, err = early.DeviceCert(filepath.Join(data, "pki"), id, pub)
		must(t, err)
		var e headoffice.Enrolment
		for _, ix := range []headoffice.Index{pg, sq} {
			e, err = headoffice.EnrolKiosk(ctx, ix, now, filepath.Join(data, "pki"), id, pub, time.Now())
			must(t, err)
		}
		k := &kiosk{id: id, enr: e, dir: filepath.Join(dir, "kiosks", id)}
		fleet[i] = k
		pk := packtest.Kiosk{ID: id, Key: key, CertPEM: e.Device}
		files := pk.Files(t, signed)
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ob, closeOB := openOutbox(t, k.dir)
			defer closeOB()
			for range perKiosk {
				f := files
				f.PackageID = uuid.NewString()
				z := pk.Build(t, f)
				sum := sha256.Sum256(z)
				mu.Lock()
				want[f.PackageID] = hex.EncodeToString(sum[:])
				mu.Unlock()
				must(t, ob.Enqueue(ctx, outbox.Package{ID: f.PackageID, TicketID: uuid.NewString(), SignedAt: time.Now(), Zip: z}))
			}
		})
	}
	wg.Wait()
	// The second delivery starts from the outboxes as they are now.
	must(t, exec.Command("cp", "-a", filepath.Join(dir, "kiosks"), filepath.Join(dir, "kiosks-file")).Run())
	t.Logf("%d kiosks, %d packages built and queued in %v", kiosks, kiosks*perKiosk, time.Since(buildStart).Round(time.Second))

	ph := phase{t: t, bin: bin, data: data, roots: roots, fleet: fleet, want: want}
	ph.run("postgres, 2 replicas", filepath.Join(dir, "kiosks"), []string{"--store", "postgres", "--dsn", dsn}, 2, cluster, pg, pg)
	ph.run("file store, 1 process", filepath.Join(dir, "kiosks-file"), nil, 1, nil, sq,
		&headoffice.FileStorage{Dir: filepath.Join(data, "packages")})
}

// phase is one delivery of the whole fleet.
type phase struct {
	t                *testing.T
	bin, data, roots string
	fleet            []*kiosk
	want             map[string]string
}

// run delivers every kiosk's outbox (under kioskDir) to replicas head
// offices with the store flags given, makes the faults, checks what ix and
// bodies hold against what was queued and prints the line.
func (ph phase) run(kind, kioskDir string, store []string, replicas int, cluster *pgtest.Cluster, ix headoffice.Index, bodies headoffice.Storage) {
	t := ph.t
	ctx := context.Background()
	var hos []*replica
	for range replicas {
		r := newReplica(t, ph.bin, ph.data, ph.roots, store)
		r.start(t)
		hos = append(hos, r)
	}
	lb := newBalancer(t, hos)
	total := len(ph.want)
	lat := &latencies{}
	start := time.Now()
	runCtx, stop := context.WithTimeout(ctx, 15*time.Minute)
	defer stop()
	var wg sync.WaitGroup
	obs := make([]*outbox.Outbox, len(ph.fleet))
	for i, k := range ph.fleet {
		ob, closeOB := openOutbox(t, filepath.Join(kioskDir, k.id))
		defer closeOB()
		obs[i] = ob
		wg.Go(func() { k.deliver(t, runCtx, ob, lb.url(), lat) })
	}
	// Progress is the packages head office has answered for (201 or 200),
	// counted as the answers come, not as the kiosks' runs end.
	waitFor := func(n int) {
		for lat.answered() < int64(n) && runCtx.Err() == nil {
			time.Sleep(20 * time.Millisecond)
		}
	}
	var faults []string
	waitFor(total / 3)
	faults = append(faults, fmt.Sprintf("head office killed -9 at %d/%d and started again", lat.answered(), total))
	hos[0].kill(t)
	time.Sleep(time.Second)
	hos[0].start(t)
	if cluster != nil {
		waitFor(2 * total / 3)
		faults = append(faults, fmt.Sprintf("PostgreSQL crashed at %d/%d and started again", lat.answered(), total))
		must(t, cluster.Stop(true))
		time.Sleep(time.Second)
		must(t, cluster.Start())
	}
	wg.Wait()
	took := time.Since(start)
	for _, r := range hos {
		r.stop(t)
	}

	// What head office holds, against what the kiosks queued.
	stored, lost, extra := 0, 0, 0
	for id, digest := range ph.want {
		rec, ok, err := ix.Package(ctx, id)
		must(t, err)
		held, hasBody, err := bodies.Digest(ctx, id)
		must(t, err)
		if ok && hasBody && rec.Digest == digest && held == digest {
			stored++
		} else {
			lost++
			t.Errorf("%s: package %s: indexed %v (%s), body %v (%s), want %s", kind, id, ok, rec.Digest, hasBody, held, digest)
		}
	}
	for id, n := range lat.created() {
		if n > 1 {
			extra++
			t.Errorf("%s: package %s answered 201 Created %d times", kind, id, n)
		}
	}
	for i, k := range ph.fleet {
		if st, err := obs[i].Stats(ctx); err != nil || st.Pending != 0 || st.Dead != 0 {
			t.Errorf("%s: kiosk %s's outbox after the run: %+v %v", kind, k.id, st, err)
		}
	}
	p50, p99 := lat.quantile(0.5), lat.quantile(0.99)
	fmt.Printf("fleet: %s: kiosks %d, packages %d, stored %d, lost %d, duplicated %d, upload p50 %d ms p99 %d ms, %.1f packages/s, %v (%s)\n",
		kind, len(ph.fleet), total, stored, lost, extra, p50.Milliseconds(), p99.Milliseconds(), float64(total)/took.Seconds(),
		took.Round(time.Second), strings.Join(faults, "; "))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// kiosk is one simulated kiosk: its enrolment and where its outbox is.
type kiosk struct {
	id  string
	enr headoffice.Enrolment
	dir string
}

// openOutbox opens (making) the kiosk outbox in dir, and what closes it.
func openOutbox(t *testing.T, dir string) (*outbox.Outbox, func()) {
	ctx := context.Background()
	must(t, os.MkdirAll(dir, 0o700))
	key, err := outbox.LoadOrCreateKey(filepath.Join(dir, "outbox.key"), true)
	must(t, err)
	db, err := store.Open(ctx, filepath.Join(dir, "kiosk.db"))
	must(t, err)
	ob, err := outbox.Open(ctx, db, key, nil)
	must(t, err)
	return ob, func() { db.Close() }
}

// deliver runs the kiosk's uploader until its outbox is empty, as its
// sync would, retrying what failed after the uploader's own backoff.
func (k *kiosk) deliver(t *testing.T, ctx context.Context, ob *outbox.Outbox, url string, lat *latencies) {
	cfg, err := pki.ClientTLS(k.enr.CACert, k.enr.ClientCert, k.enr.ClientKey)
	if err != nil {
		t.Error(err)
		return
	}
	client := uploader.NewClient(cfg, 2)
	defer client.CloseIdleConnections()
	client.Transport = &timing{rt: client.Transport, lat: lat}
	u := uploader.New(uploader.Config{
		Queue: uploader.FromOutbox(ob), Client: client, BaseURL: url, Concurrency: 2,
		MaxAttempts: 1000, BaseBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second, Timeout: time.Minute,
		Log: zerolog.Nop(),
	})
	for ctx.Err() == nil {
		rep, err := u.RunOnce(ctx)
		st, serr := ob.Stats(ctx)
		if serr != nil {
			t.Errorf("kiosk %s: %v", k.id, serr)
			return
		}
		if st.Pending == 0 {
			return
		}
		if err != nil || rep.Failed > 0 || rep.Delivered == 0 {
			time.Sleep(200 * time.Millisecond) // the next due attempt
		}
	}
	t.Errorf("kiosk %s: not delivered in time", k.id)
}

// timing times each upload and counts the Created answers per package.
type timing struct {
	rt  http.RoundTripper
	lat *latencies
}

func (tm *timing) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := tm.rt.RoundTrip(r)
	if err == nil {
		tm.lat.add(time.Since(start), resp.StatusCode, filepath.Base(r.URL.Path))
	}
	return resp, err
}

type latencies struct {
	mu        sync.Mutex
	ok        []time.Duration // of the answers 201 and 200
	createdBy map[string]int  // 201 answers per package id
}

func (l *latencies) add(d time.Duration, code int, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if code == http.StatusCreated || code == http.StatusOK {
		l.ok = append(l.ok, d)
	}
	if code == http.StatusCreated {
		if l.createdBy == nil {
			l.createdBy = map[string]int{}
		}
		l.createdBy[id]++
	}
}

// answered is how many uploads head office answered 201 or 200.
func (l *latencies) answered() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.ok))
}

func (l *latencies) created() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.createdBy
}

func (l *latencies) quantile(q float64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ok) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), l.ok...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(q*float64(len(s)-1))]
}
