package crashtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
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
	"almatel.kz/signkiosk/sync/outbox"
	"almatel.kz/signkiosk/sync/pki"
	"almatel.kz/signkiosk/sync/uploader"
)

// The helper's environment: the parent passes everything the child needs
// here, since the child is the same test binary run with -test.run.
const (
	envHelper = "CRASHTEST_HELPER"
	envDir    = "CRASHTEST_DIR"
	envZips   = "CRASHTEST_ZIPS" // a folder of <id>.zip
	envURL    = "CRASHTEST_URL"
	envCA     = "CRASHTEST_CA"
	envCert   = "CRASHTEST_CERT"
	envKey    = "CRASHTEST_KEY"
	envN      = "CRASHTEST_N"
	// envSeed, when set in the parent's environment, replays a run.
	envSeed = "CRASHTEST_SEED"
)

// Files in the kiosk's data dir.
const (
	dbFile    = "kiosk.db"
	keyFile   = "outbox.key"
	phaseFile = "phase" // the child's progress markers, one per line
)

// The child's progress markers. The parent empties the phase file before
// each start and reads its last line just before the kill.
const (
	phaseEnqueue = "enqueue"
	phaseUpload  = "upload"
)

const kioskCN = "ALM-001-K1"

// pkgID is package i's id. Head office accepts canonical lowercase UUIDs
// only, and a restarted child must enqueue the very same ids, so they are
// derived from i (SHA-256, shaped as a v4 UUID) instead of being random.
func pkgID(i int) string {
	sum := sha256.Sum256([]byte("signkiosk crashtest package " + strconv.Itoa(i)))
	var u uuid.UUID
	copy(u[:], sum[:16])
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u.String()
}

func ticketID(i int) string { return fmt.Sprintf("t-%d", i) }

// TestCrashHelper is the kiosk side, run as a subprocess by
// TestCrashExactlyOnce: enqueue N packages (idempotent on restart), then
// upload until the outbox is empty. It is killed at random moments.
func TestCrashHelper(t *testing.T) {
	if os.Getenv(envHelper) != "1" {
		t.Skip("subprocess of TestCrashExactlyOnce")
	}
	if err := runHelper(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func runHelper(ctx context.Context) error {
	dir := os.Getenv(envDir)
	n, err := strconv.Atoi(os.Getenv(envN))
	if err != nil {
		return fmt.Errorf("%s: %w", envN, err)
	}
	zipDir := os.Getenv(envZips)
	db, err := store.Open(ctx, filepath.Join(dir, dbFile))
	if err != nil {
		return err
	}
	defer db.Close()
	// The first run creates the key; every restart must load the same one.
	key, err := outbox.LoadOrCreateKey(filepath.Join(dir, keyFile), true)
	if err != nil {
		return err
	}
	ob, err := outbox.Open(ctx, db, key, nil)
	if err != nil {
		return err
	}

	if err := markPhase(dir, phaseEnqueue); err != nil {
		return err
	}
	// A restart replays every enqueue from the start, as a kiosk would
	// retry the session it was finishing: the same id and bytes are a
	// no-op, so only the ones the killed run never committed are added.
	for i := range n {
		zip, err := os.ReadFile(filepath.Join(zipDir, pkgID(i)+".zip"))
		if err != nil {
			return err
		}
		err = ob.Enqueue(ctx, outbox.Package{
			ID: pkgID(i), TicketID: ticketID(i),
			SignedAt: packtest.Now().Add(time.Duration(i) * time.Second), Zip: zip,
		})
		if err != nil {
			return fmt.Errorf("enqueue %d: %w", i, err)
		}
	}

	if err := markPhase(dir, phaseUpload); err != nil {
		return err
	}
	tlsCfg, err := pki.ClientTLS(os.Getenv(envCA), os.Getenv(envCert), os.Getenv(envKey))
	if err != nil {
		return err
	}
	up := uploader.New(uploader.Config{
		Queue:   uploader.FromOutbox(ob),
		Client:  uploader.NewClient(tlsCfg, 4),
		BaseURL: os.Getenv(envURL),
		// Failures are not expected here (the server is never killed), so
		// backoff is short and dead letters effectively off: a dead item
		// must show as a failure, not as a slow run.
		Concurrency: 4,
		MaxAttempts: 1000,
		BaseBackoff: 5 * time.Millisecond,
		MaxBackoff:  50 * time.Millisecond,
		Timeout:     20 * time.Second,
		Log:         zerolog.Nop(),
	})
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := up.RunOnce(ctx); err != nil {
			return fmt.Errorf("run: %w", err)
		}
		st, err := ob.Stats(ctx)
		if err != nil {
			return err
		}
		switch {
		case st.Dead > 0:
			return fmt.Errorf("%d dead letters", st.Dead)
		case st.Pending == 0:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("still %d pending after 2m", st.Pending)
		}
		// Something failed and waits out its (short) backoff.
		time.Sleep(10 * time.Millisecond)
	}
}

// markPhase appends a progress line. No fsync: SIGKILL keeps the page
// cache, and only the parent reads it, while the child is alive.
func markPhase(dir, phase string) error {
	f, err := os.OpenFile(filepath.Join(dir, phaseFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(phase + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// lastPhase is the child's latest marker; "" if it has not opened the
// outbox yet.
func lastPhase(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, phaseFile))
	lines := strings.Fields(string(b))
	if len(lines) == 0 {
		return ""
	}
	return lines[len(lines)-1]
}

// waitFor polls until the child's last marker is want, or d passes.
func waitFor(dir, want string, d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end) && lastPhase(dir) != want; {
		time.Sleep(500 * time.Microsecond)
	}
}

// waitPhase polls until the child has written any marker, or d passes.
func waitPhase(dir string, d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end) && lastPhase(dir) == ""; {
		time.Sleep(500 * time.Microsecond)
	}
}

// counter counts head office's answers to PUTs by id and status.
type counter struct {
	mu   sync.Mutex
	byID map[string]map[int]int
}

func (c *counter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		if r.Method != http.MethodPut {
			return
		}
		id := strings.TrimPrefix(r.URL.Path, "/v1/packages/")
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.byID[id] == nil {
			c.byID[id] = map[int]int{}
		}
		c.byID[id][sw.code]++
	})
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// TestCrashExactlyOnce kills the kiosk side (a helper subprocess) with
// SIGKILL at random moments while it enqueues and uploads, restarts it
// each time, and checks that head office ends up with every package
// exactly once and the kiosk's outbox agrees.
func TestCrashExactlyOnce(t *testing.T) {
	if os.Getenv(envHelper) == "1" {
		t.Skip("running as the helper")
	}
	// N packages, at least K kills. make test-long runs it whole; the race
	// detector cuts N, and -short (make test) keeps a sample.
	n, kills := 1500, 40
	switch {
	case testing.Short():
		n, kills = 400, 20
	case raceOn:
		n, kills = 800, 40
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(envSeed); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s: %v", envSeed, err)
		}
	}
	t.Logf("seed %d (replay with %s=%d), N=%d, kills=%d, race=%v", seed, envSeed, seed, n, kills, raceOn)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	ctx := context.Background()
	tmp := t.TempDir()

	// One real signed session (a simulated one costs ~100 ms), packed N
	// times, once under each id by the kiosk kioskCN: head office files a
	// package only under the id its signed manifest names.
	env := packtest.NewEnv(t)
	kiosk := env.NewKiosk(t, kioskCN)
	files := kiosk.Files(t, env.Sign(t, "900101300123", []byte("%PDF-1.7 crash test")))
	zipDir := filepath.Join(tmp, "packages")
	if err := os.MkdirAll(zipDir, 0o700); err != nil {
		t.Fatal(err)
	}
	wantDigest := map[string]string{}
	packStart := time.Now()
	files.PackageID = pkgID(0)
	first := kiosk.Build(t, files)
	for i := range n {
		zip := packtest.Refile(t, first, kiosk, pkgID(i))
		sum := sha256.Sum256(zip)
		wantDigest[pkgID(i)] = hex.EncodeToString(sum[:])
		if err := os.WriteFile(filepath.Join(zipDir, pkgID(i)+".zip"), zip, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("packed %d packages in %v", n, time.Since(packStart).Round(time.Millisecond))

	// The real head office, in-process over mTLS. It is never killed: the
	// kiosk side is what this test crashes.
	p, err := pki.LoadOrCreate(filepath.Join(tmp, "pki"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath, err := p.ClientCert(filepath.Join(tmp, "kiosk-tls"), kioskCN)
	if err != nil {
		t.Fatal(err)
	}
	hoDir := filepath.Join(tmp, "headoffice")
	index, err := headoffice.OpenIndex(ctx, filepath.Join(tmp, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer index.Close()
	// The kiosk is enrolled, so every manifest signature and device
	// certificate is checked too.
	if err := index.Enrol(ctx, kiosk.Cert(t), time.Now()); err != nil {
		t.Fatal(err)
	}
	ho, err := headoffice.New(headoffice.Config{
		Storage:    &headoffice.FileStorage{Dir: hoDir},
		Index:      index,
		Log:        zerolog.Nop(),
		LinkKey:    []byte("crashtest-link-key-0123456789abcdef"),
		Roots:      env.Roots(),
		KioskRoots: env.KioskRoots(),
	})
	if err != nil {
		t.Fatal(err)
	}
	cnt := &counter{byID: map[string]map[int]int{}}
	srv := httptest.NewUnstartedServer(cnt.wrap(ho.Handler()))
	srv.TLS = ho.TLSConfig(pki.ServerTLS(p))
	srv.StartTLS()
	defer srv.Close()

	dataDir := filepath.Join(tmp, "kiosk")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	helper := func(ctx context.Context, out *bytes.Buffer) *exec.Cmd {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashHelper$", "-test.v")
		cmd.Env = append(os.Environ(),
			envHelper+"=1", envDir+"="+dataDir, envZips+"="+zipDir, envURL+"="+srv.URL,
			envCA+"="+p.CAPath(), envCert+"="+certPath, envKey+"="+keyPath, envN+"="+strconv.Itoa(n))
		cmd.Stdout, cmd.Stderr = out, out
		return cmd
	}

	// Kill phase. A kill is classed by the child's last marker, read just
	// before the kill (the child may move on in between: a race of
	// microseconds, so the classes are approximate at their edges).
	var killedStartup, killedEnqueueFirst, killedEnqueueReplay, killedUpload, finishedEarly int
	everUploaded := false
	start := time.Now()
	// At least `kills` runs; more (up to 3×) while fewer than a quarter of
	// them have landed in the upload, so a slow disk that stretches the
	// enqueue pass still gets kills in both phases.
	for k := 0; k < 3*kills; k++ {
		if k >= kills && (killedUpload >= kills/4 || finishedEarly > 0) {
			break
		}
		if err := os.WriteFile(filepath.Join(dataDir, phaseFile), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		cmd := helper(ctx, &out)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		switch {
		case k >= kills && killedUpload < kills/4:
			// The extra runs: on a slow or busy machine the enqueue pass
			// outlasted every random kill, so this run is killed inside
			// the upload, wherever the clock stands.
			waitFor(dataDir, phaseUpload, time.Minute)
			time.Sleep(time.Duration(rng.IntN(50_001)) * time.Microsecond)
		case everUploaded || k >= kills/2:
			time.Sleep(time.Duration(10+rng.IntN(291)) * time.Millisecond)
		default:
			// In the first half, until a run gets through the first
			// enqueue pass, kill 0–50 ms after the child starts enqueueing:
			// where fsync is cheap the pass lasts well under a second, and
			// 10–300 ms from the start would end it after a kill or two,
			// leaving few kills inside a committing Enqueue.
			waitPhase(dataDir, 5*time.Second)
			time.Sleep(time.Duration(rng.IntN(50_001)) * time.Microsecond)
		}
		ph := lastPhase(dataDir)
		_ = cmd.Process.Kill() // SIGKILL; an error means it already exited
		err := cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
			// Done before the kill: nothing left to crash in.
			finishedEarly++
			everUploaded = true
			continue
		case errors.As(err, &ee) && ee.ExitCode() == -1:
			// Killed by the signal, as intended.
		default:
			t.Fatalf("run %d: helper failed on its own (%v):\n%s", k, err, out.String())
		}
		switch ph {
		case "":
			killedStartup++
		case phaseEnqueue:
			if everUploaded {
				killedEnqueueReplay++
			} else {
				killedEnqueueFirst++
			}
		case phaseUpload:
			killedUpload++
			everUploaded = true
		}
	}
	killTook := time.Since(start)

	// The last run is left alone and must finish the job.
	var out bytes.Buffer
	runCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := helper(runCtx, &out).Run(); err != nil {
		t.Fatalf("final run: %v\n%s", err, out.String())
	}
	total := time.Since(start)
	// Close waits for in-flight requests, so the counts are final.
	srv.Close()

	t.Logf("kills: %d during startup, %d during enqueue (first pass %d, replay after a restart %d), %d during upload; %d runs finished before their kill",
		killedStartup, killedEnqueueFirst+killedEnqueueReplay, killedEnqueueFirst, killedEnqueueReplay, killedUpload, finishedEarly)
	t.Logf("took: kill phase %v, total %v", killTook.Round(time.Millisecond), total.Round(time.Millisecond))
	if killedEnqueueFirst+killedEnqueueReplay == 0 || killedUpload == 0 {
		// Not a correctness failure, but the test would prove less than it
		// claims; a different seed or tuning is needed.
		t.Errorf("kills missed a phase: %d during enqueue, %d during upload", killedEnqueueFirst+killedEnqueueReplay, killedUpload)
	}

	checkHeadOffice(t, ctx, index, hoDir, cnt, n, wantDigest)
	checkKiosk(t, ctx, dataDir, n, wantDigest)
}

// checkHeadOffice: each id indexed and stored once with the package's
// digest, exactly one 201 each, and any re-sends answered 200.
func checkHeadOffice(t *testing.T, ctx context.Context, index *headoffice.SQLiteIndex, hoDir string, cnt *counter, n int, wantDigest map[string]string) {
	t.Helper()
	want := map[string]bool{}
	for i := range n {
		want[pkgID(i)] = true
	}

	rows, err := index.DB().QueryContext(ctx, `SELECT id, digest FROM packages`)
	if err != nil {
		t.Fatal(err)
	}
	indexed := 0
	for rows.Next() {
		var id, digest string
		if err := rows.Scan(&id, &digest); err != nil {
			t.Fatal(err)
		}
		indexed++
		if !want[id] {
			t.Errorf("head office indexes unknown id %s", id)
		}
		if digest != wantDigest[id] {
			t.Errorf("head office indexes %s with digest %s, want %s", id, digest, wantDigest[id])
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if indexed != n {
		t.Errorf("head office index holds %d packages, want %d", indexed, n)
	}

	// The stored bodies, byte for byte; stray temp files are only logged
	// (they are invisible as packages by design).
	entries, err := os.ReadDir(hoDir)
	if err != nil {
		t.Fatal(err)
	}
	stored, stray := 0, 0
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".zip")
		if !ok || strings.HasPrefix(e.Name(), ".") {
			stray++
			continue
		}
		stored++
		b, err := os.ReadFile(filepath.Join(hoDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if s := sha256.Sum256(b); !want[id] || hex.EncodeToString(s[:]) != wantDigest[id] {
			t.Errorf("head office stores %s: known id %v, digest %x", e.Name(), want[id], s)
		}
	}
	if stored != n {
		t.Errorf("head office stores %d package files, want %d", stored, n)
	}

	cnt.mu.Lock()
	defer cnt.mu.Unlock()
	created, same := 0, 0
	other := map[int]int{}
	for id, codes := range cnt.byID {
		for code, k := range codes {
			switch code {
			case http.StatusCreated:
				created += k
			case http.StatusOK:
				same += k
			default:
				other[code] += k
			}
		}
		if !want[id] {
			t.Errorf("PUT of unknown id %q", id)
		}
		if codes[http.StatusCreated] != 1 {
			t.Errorf("%s got %d × 201, want exactly 1", id, codes[http.StatusCreated])
		}
		if codes[http.StatusConflict] != 0 {
			t.Errorf("%s got %d × 409", id, codes[http.StatusConflict])
		}
	}
	for id := range want {
		if cnt.byID[id] == nil {
			t.Errorf("%s was never uploaded", id)
		}
	}
	t.Logf("head office: %d ids indexed, %d files stored, %d stray temp files; %d × 201, %d × 200 (re-sent after a kill: delivered twice on the wire, stored once), other answers %v",
		indexed, stored, stray, created, same, other)
}

// checkKiosk opens the outbox after the last run: N delivered, nothing
// pending or dead, no extra rows, one signed session per package, and an
// intact database.
func checkKiosk(t *testing.T, ctx context.Context, dir string, n int, wantDigest map[string]string) {
	t.Helper()
	db, err := store.Open(ctx, filepath.Join(dir, dbFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ic string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ic); err != nil {
		t.Fatal(err)
	}
	if ic != "ok" {
		t.Errorf("kiosk integrity_check: %s", ic)
	}
	key, err := outbox.LoadOrCreateKey(filepath.Join(dir, keyFile), false)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.Open(ctx, db, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := ob.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Delivered != n || st.Pending != 0 || st.Dead != 0 {
		t.Errorf("outbox: %d delivered, %d pending, %d dead; want %d, 0, 0", st.Delivered, st.Pending, st.Dead, n)
	}
	items, err := ob.List(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for i := range n {
		want[pkgID(i)] = true
	}
	for _, it := range items {
		if !want[it.ID] || it.State != outbox.Delivered || it.Digest != wantDigest[it.ID] {
			t.Errorf("outbox row %s: known %v, state %s, digest %s", it.ID, want[it.ID], it.State, it.Digest)
		}
	}
	if len(items) != n {
		t.Errorf("outbox holds %d rows, want %d", len(items), n)
	}

	// Each ticket t-i is recorded as signed exactly once, with package i.
	rows, err := db.QueryContext(ctx, `SELECT ticket_id, package_id FROM signed_sessions`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var bad []string
	sessions := 0
	for rows.Next() {
		var tid, pid string
		if err := rows.Scan(&tid, &pid); err != nil {
			t.Fatal(err)
		}
		sessions++
		i, err := strconv.Atoi(strings.TrimPrefix(tid, "t-"))
		if err != nil || i < 0 || i >= n || pkgID(i) != pid {
			bad = append(bad, tid+"→"+pid)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(bad)
	if sessions != n || len(bad) > 0 {
		t.Errorf("signed_sessions: %d rows, want %d; mismatched %v", sessions, n, bad)
	}
	t.Logf("kiosk: %d delivered, %d pending, %d dead, %d outbox rows, %d signed sessions, integrity_check %s",
		st.Delivered, st.Pending, st.Dead, len(items), sessions, ic)
}
