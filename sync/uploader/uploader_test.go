package uploader

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/logging/logtest"
	"almatel.kz/signkiosk/sync/pki"
)

// receiver is a minimal head office: it checks Content-Digest and answers
// 201 new / 200 same digest / 409 other digest, like sync/headoffice.
type receiver struct {
	mu       sync.Mutex
	held     map[string]string // id → base64 digest
	puts     map[string]int    // requests per id
	inFlight atomic.Int32
	maxIn    atomic.Int32
	// fault, when set, handles the request instead (return true = handled).
	fault func(w http.ResponseWriter, r *http.Request) bool
}

func newReceiver() *receiver {
	return &receiver{held: map[string]string{}, puts: map[string]int{}}
}

func (rc *receiver) setFault(f func(w http.ResponseWriter, r *http.Request) bool) {
	rc.mu.Lock()
	rc.fault = f
	rc.mu.Unlock()
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := rc.inFlight.Add(1)
	defer rc.inFlight.Add(-1)
	for {
		m := rc.maxIn.Load()
		if n <= m || rc.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	id := strings.TrimPrefix(r.URL.Path, "/v1/packages/")
	rc.mu.Lock()
	rc.puts[id]++
	fault := rc.fault
	rc.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	if r.Method != http.MethodPut || r.Header.Get("Content-Type") != "application/zip" {
		http.Error(w, `{"error":"bad_request"}`, http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	sum := sha256.Sum256(body)
	digest := base64.StdEncoding.EncodeToString(sum[:])
	if r.Header.Get("Content-Digest") != "sha-256=:"+digest+":" || int64(len(body)) != r.ContentLength {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"digest_mismatch","message":"body does not match Content-Digest"}`))
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	switch old, ok := rc.held[id]; {
	case !ok:
		rc.held[id] = digest
		w.WriteHeader(http.StatusCreated)
	case old == digest:
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusConflict)
		_, _ = w.Write([]byte(`{"error":"conflict","message":"another digest is held for this id"}`))
	}
}

func (rc *receiver) holds(id string) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	_, ok := rc.held[id]
	return ok
}

func (rc *receiver) putCount(id string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.puts[id]
}

// env is one scenario: a fake clock, a queue, a TLS head office, an uploader.
type env struct {
	t   *testing.T
	clk *clock
	q   testQueue
	rc  *receiver
	srv *httptest.Server
	u   *Uploader
	log *logtest.Buffer
	// conns counts TCP connections to head office: keep-alive keeps it low.
	conns atomic.Int32
}

// newEnv runs against the real SQLite outbox.
func newEnv(t *testing.T, mod func(*Config)) *env { return newEnvQueue(t, false, mod) }

// newFakeEnv runs against the in-memory fake, for faults only it can inject.
func newFakeEnv(t *testing.T, mod func(*Config)) *env { return newEnvQueue(t, true, mod) }

func newEnvQueue(t *testing.T, fake bool, mod func(*Config)) *env {
	t.Helper()
	e := &env{t: t, clk: &clock{t: time.Date(2026, 11, 24, 2, 30, 0, 0, time.UTC)}, rc: newReceiver(), log: &logtest.Buffer{}}
	if fake {
		e.q = newFakeQueue(e.clk.Now)
	} else {
		e.q = newRealQueue(t, e.clk.Now)
	}
	e.srv = httptest.NewUnstartedServer(e.rc)
	e.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			e.conns.Add(1)
		}
	}
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	cfg := Config{
		Queue: e.q, BaseURL: e.srv.URL, Concurrency: 4, MaxAttempts: 5,
		BaseBackoff: 30 * time.Second, MaxBackoff: time.Hour, Timeout: 5 * time.Second,
		Now: e.clk.Now, Rand: func() float64 { return 0.5 }, Log: zerolog.New(e.log),
	}
	if mod != nil {
		mod(&cfg)
	}
	if cfg.Client == nil {
		// The production client, trusting the test server's certificate.
		cfg.Client = NewClient(e.srv.Client().Transport.(*http.Transport).TLSClientConfig, cfg.Concurrency)
	}
	e.u = New(cfg)
	return e
}

func (e *env) run() Report {
	e.t.Helper()
	rep, err := e.u.RunOnce(context.Background())
	if err != nil {
		e.t.Fatalf("RunOnce: %v", err)
	}
	return rep
}

func TestDelivered201And200(t *testing.T) {
	e := newEnv(t, nil)
	ids := e.q.add(5, 10_000)
	// Head office already holds one (an earlier run's answer was lost): 200.
	sum := sha256.Sum256(e.q.get(ids[2]).zip)
	e.rc.held[ids[2]] = base64.StdEncoding.EncodeToString(sum[:])
	rep := e.run()
	if rep.Delivered != 5 || rep.Failed != 0 || rep.Dead != 0 || rep.Bytes != 50_000 {
		t.Fatalf("report %+v", rep)
	}
	for _, id := range ids {
		if it := e.q.get(id); it.state != stateDelivered || !e.rc.holds(id) {
			t.Fatalf("%s: state %v, held %v", id, it.state, e.rc.holds(id))
		}
	}
	if len(e.q.syncList()) != 1 || !e.q.syncList()[0] {
		t.Fatalf("RecordSync calls %v, want [true]", e.q.syncList())
	}
	if e.run() != (Report{}) {
		t.Fatal("second run found work")
	}
	t.Logf("201/200: delivered %d packages (one answered 200)", rep.Delivered)
}

func TestServerErrorThenDelivered(t *testing.T) {
	e := newEnv(t, nil)
	ids := e.q.add(3, 1000)
	e.rc.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusInternalServerError)
		return true
	})
	rep := e.run()
	if rep.Failed != 3 || rep.Delivered != 0 {
		t.Fatalf("run 1: %+v", rep)
	}
	wantNext := e.clk.Now().Add(e.u.Backoff(0, 0.5))
	for _, id := range ids {
		it := e.q.get(id)
		if it.state != statePending || it.Attempts != 1 || !it.next.Equal(wantNext) || !strings.Contains(it.lastErr, "HTTP 500") {
			t.Fatalf("%s after 500: %+v next %v lastErr %q", id, it.Item, it.next, it.lastErr)
		}
	}
	if e.q.syncList()[0] {
		t.Fatal("a run with 500s recorded as success")
	}
	e.rc.setFault(nil)
	// next_attempt_at honoured: not due yet, nothing sent.
	e.clk.Advance(e.u.Backoff(0, 0.5) - time.Second)
	if rep := e.run(); rep != (Report{}) || e.rc.putCount(ids[0]) != 1 {
		t.Fatalf("run before next_attempt_at: %+v, puts %d", rep, e.rc.putCount(ids[0]))
	}
	e.clk.Advance(time.Second)
	rep = e.run()
	if rep.Delivered != 3 {
		t.Fatalf("run 2: %+v", rep)
	}
	if it := e.q.get(ids[0]); it.Attempts != 2 || it.state != stateDelivered { // the 500 and the delivery
		t.Fatalf("after delivery: %+v", it.Item)
	}
	t.Logf("500 then 201: delivered %d packages on the second run, attempts=2", rep.Delivered)
}

func TestHeadOfficeDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	e := newEnv(t, func(c *Config) { c.BaseURL = "https://" + addr })
	ids := e.q.add(2, 1000)
	rep := e.run()
	if rep.Failed != 2 {
		t.Fatalf("report %+v", rep)
	}
	it := e.q.get(ids[0])
	if it.state != statePending || it.Attempts != 1 || !strings.Contains(it.lastErr, "unreachable") || !it.next.After(e.clk.Now()) {
		t.Fatalf("item %+v lastErr %q next %v", it.Item, it.lastErr, it.next)
	}
	t.Logf("head office down: delivered 0, failed %d (%q)", rep.Failed, it.lastErr)
}

func TestTimeoutIsRetryable(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Timeout = 200 * time.Millisecond })
	ids := e.q.add(2, 1000)
	e.rc.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second): // the server notices the hang-up only after the body is read
		}
		return true
	})
	rep := e.run()
	it := e.q.get(ids[0])
	if rep.Failed != 2 || it.state != statePending || !strings.Contains(it.lastErr, "did not answer within 200ms") {
		t.Fatalf("report %+v, item %+v %q", rep, it.Item, it.lastErr)
	}
	e.rc.setFault(nil)
	e.clk.Advance(time.Hour)
	rep = e.run()
	if rep.Delivered != 2 {
		t.Fatalf("after timeouts: %+v", rep)
	}
	t.Logf("timeouts: failed 2 then delivered %d", rep.Delivered)
}

// resetMidBody reads part of the body, then drops the TCP connection with an
// RST (linger 0), as a crashing proxy would.
func resetMidBody(w http.ResponseWriter, r *http.Request) bool {
	_, _ = io.ReadFull(r.Body, make([]byte, 16<<10))
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	raw.Close()
	return true
}

func TestConnectionResetMidBody(t *testing.T) {
	e := newEnv(t, nil)
	ids := e.q.add(4, 512<<10)
	e.rc.setFault(resetMidBody)
	rep := e.run()
	if rep.Failed != 4 || rep.Delivered != 0 {
		t.Fatalf("run 1: %+v", rep)
	}
	it := e.q.get(ids[0])
	if it.state != statePending || it.Attempts != 1 || e.rc.holds(ids[0]) {
		t.Fatalf("after reset: %+v %q", it.Item, it.lastErr)
	}
	t.Logf("reset last_error: %q", it.lastErr)
	e.rc.setFault(nil)
	e.clk.Advance(time.Hour)
	rep = e.run()
	if rep.Delivered != 4 || rep.Bytes != 4*512<<10 {
		t.Fatalf("run 2: %+v", rep)
	}
	t.Logf("reset mid-body: failed 4, then delivered %d", rep.Delivered)
}

func TestSlowResponsesWithinTimeout(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Timeout = 3 * time.Second })
	e.q.add(8, 1000)
	e.rc.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		time.Sleep(150 * time.Millisecond)
		return false // then answer normally
	})
	rep := e.run()
	if rep.Delivered != 8 {
		t.Fatalf("report %+v", rep)
	}
	t.Logf("slow responses: delivered %d", rep.Delivered)
}

func TestConflictIsDeadAndAlarmed(t *testing.T) {
	e := newEnv(t, nil)
	ids := e.q.add(3, 1000)
	e.rc.held[ids[1]] = "c29tZXRoaW5nIGVsc2U=" // another digest under this id
	rep := e.run()
	if rep.Delivered != 2 || rep.Dead != 1 {
		t.Fatalf("report %+v", rep)
	}
	it := e.q.get(ids[1])
	if it.state != stateDead || it.lastErr != "conflict at head office" {
		t.Fatalf("conflicted item %+v %q", it.Item, it.lastErr)
	}
	if !strings.Contains(e.log.String(), `"level":"error"`) || !strings.Contains(e.log.String(), "ALARM") {
		t.Fatalf("no alarm logged: %s", e.log.String())
	}
	e.clk.Advance(24 * time.Hour)
	e.run()
	if n := e.rc.putCount(ids[1]); n != 1 {
		t.Fatalf("conflicted package sent %d times, want 1 (never retried blindly)", n)
	}
	t.Logf("409: delivered %d, dead 1 with the alarm logged", rep.Delivered)
}

func TestRejectedIsDead(t *testing.T) {
	e := newEnv(t, nil)
	ids := e.q.add(1, 1000)
	e.rc.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "bad_manifest", "message": "manifest signature does not verify"})
		return true
	})
	rep := e.run()
	it := e.q.get(ids[0])
	if rep.Dead != 1 || it.state != stateDead || it.lastErr != "rejected by head office: HTTP 422 bad_manifest" {
		t.Fatalf("report %+v item %+v %q", rep, it.Item, it.lastErr)
	}
	t.Logf("422: delivered 0, dead %d (%q)", rep.Dead, it.lastErr)
}

func TestMaxAttemptsMakesDeadLetter(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxAttempts = 3 })
	ids := e.q.add(1, 1000)
	e.rc.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusBadGateway)
		return true
	})
	var dead int
	for i := range 5 {
		rep := e.run()
		dead += rep.Dead
		it := e.q.get(ids[0])
		if i < 2 && (it.state != statePending || it.Attempts != i+1) {
			t.Fatalf("run %d: %+v", i, it.Item)
		}
		e.clk.Advance(2 * time.Hour)
	}
	it := e.q.get(ids[0])
	if dead != 1 || it.state != stateDead || it.Attempts != 3 || !strings.Contains(it.lastErr, "gave up after 3 attempts: head office error: HTTP 502") {
		t.Fatalf("dead %d, item %+v %q", dead, it.Item, it.lastErr)
	}
	if n := e.rc.putCount(ids[0]); n != 3 {
		t.Fatalf("sent %d times, want 3", n)
	}
	t.Logf("max attempts: delivered 0, dead after %d attempts", it.Attempts)
}

func TestBackoffCappedAndJittered(t *testing.T) {
	u := New(Config{BaseBackoff: 30 * time.Second, MaxBackoff: time.Hour})
	for _, c := range []struct {
		attempts int
		r        float64
		want     time.Duration
	}{
		{0, 0, 15 * time.Second}, {0, 1, 30 * time.Second}, {1, 0.5, 45 * time.Second},
		{3, 1, 4 * time.Minute}, {7, 1, time.Hour}, {20, 0, 30 * time.Minute}, {1000, 1, time.Hour},
	} {
		if got := u.Backoff(c.attempts, c.r); got != c.want {
			t.Errorf("Backoff(%d, %v) = %v, want %v", c.attempts, c.r, got, c.want)
		}
	}
}

// mtlsEnv serves the receiver with the demo PKI's server config, which
// requires a client certificate issued by its CA.
func mtlsEnv(t *testing.T, clientPKI string) (*env, string) {
	dir := t.TempDir()
	p, err := pki.LoadOrCreate(filepath.Join(dir, "ca"), nil)
	if err != nil {
		t.Fatal(err)
	}
	issuer := p
	if clientPKI != "" {
		if issuer, err = pki.LoadOrCreate(filepath.Join(dir, clientPKI), nil); err != nil {
			t.Fatal(err)
		}
	}
	certPEM, keyPEM, err := issuer.ClientCert(filepath.Join(dir, "kiosk"), "ALM-001-K1")
	if err != nil {
		t.Fatal(err)
	}
	clientTLS, err := pki.ClientTLS(p.CAPath(), certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, nil)
	srv := httptest.NewUnstartedServer(e.rc)
	srv.TLS = pki.ServerTLS(p)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	e.u.cfg.Client = NewClient(clientTLS, e.u.cfg.Concurrency)
	e.u.cfg.BaseURL = srv.URL
	return e, srv.URL
}

func TestMTLSDelivered(t *testing.T) {
	e, _ := mtlsEnv(t, "")
	e.q.add(6, 20_000)
	rep := e.run()
	if rep.Delivered != 6 {
		t.Fatalf("report %+v, log %s", rep, e.log.String())
	}
	t.Logf("mTLS with the right client certificate: delivered %d", rep.Delivered)
}

func TestWrongClientCertificate(t *testing.T) {
	e, _ := mtlsEnv(t, "other-ca") // client cert from another CA
	ids := e.q.add(2, 1000)
	rep := e.run()
	it := e.q.get(ids[0])
	// Under TLS 1.3 the refusal shows either as the alert or, when the client
	// was already writing, as a closed connection: both must point staff at
	// the client certificate and stay retryable.
	if rep.Failed != 2 || it.state != statePending || !strings.Contains(it.lastErr, "client certificate") || e.rc.holds(ids[0]) {
		t.Fatalf("report %+v item %+v %q", rep, it.Item, it.lastErr)
	}
	t.Logf("wrong client certificate: delivered 0, failed %d (%q)", rep.Failed, it.lastErr)
}

func TestConcurrencyBound(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Concurrency = 3 })
	e.q.add(30, 5000)
	e.rc.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		time.Sleep(20 * time.Millisecond)
		return false
	})
	rep := e.run()
	if rep.Delivered != 30 {
		t.Fatalf("report %+v", rep)
	}
	if m := e.rc.maxIn.Load(); m > 3 || m < 2 {
		t.Fatalf("max in flight %d, want 2…3", m)
	}
	if c := e.conns.Load(); c > 3 {
		t.Fatalf("%d connections for 30 uploads: keep-alive not used", c)
	}
	t.Logf("concurrency 3: delivered %d, max in flight %d, %d connections", rep.Delivered, e.rc.maxIn.Load(), e.conns.Load())
}

func TestCancelMidRunLeavesItemsConsistent(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Concurrency = 2 })
	ids := e.q.add(40, 5000)
	ctx, cancel := context.WithCancel(context.Background())
	var served atomic.Int32
	e.rc.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if served.Add(1) == 10 {
			cancel() // shutdown arrives while uploads are in flight
		}
		time.Sleep(10 * time.Millisecond)
		return false
	})
	rep, err := e.u.RunOnce(ctx)
	if err == nil {
		t.Fatal("cancelled run returned no error")
	}
	delivered := e.q.count(stateDelivered)
	if rep.Delivered != delivered || delivered == 0 || delivered == len(ids) {
		t.Fatalf("report %+v, delivered in queue %d", rep, delivered)
	}
	for _, id := range ids {
		it := e.q.get(id)
		switch it.state {
		case stateDelivered:
			if !e.rc.holds(id) || it.marks != 1 {
				t.Fatalf("%s delivered but held=%v marks=%d", id, e.rc.holds(id), it.marks)
			}
		case statePending:
			if it.Attempts != 0 || it.lastErr != "" || it.marks != 0 {
				t.Fatalf("%s touched by a cancelled run: %+v %q", id, it.Item, it.lastErr)
			}
		default:
			t.Fatalf("%s dead after cancel", id)
		}
	}
	if len(e.q.syncList()) != 1 || e.q.syncList()[0] {
		t.Fatalf("cancelled run recorded as %v", e.q.syncList())
	}
	e.rc.setFault(nil)
	rep2 := e.run()
	if rep2.Delivered+delivered != len(ids) || e.q.count(stateDelivered) != len(ids) {
		t.Fatalf("after restart: %+v", rep2)
	}
	for _, id := range ids {
		if !e.rc.holds(id) {
			t.Fatalf("%s not at head office", id)
		}
	}
	t.Logf("cancel mid-run: delivered %d before the cancel, %d after; all %d held exactly once by id", delivered, rep2.Delivered, len(ids))
}

func TestQueueErrorStopsRun(t *testing.T) {
	e := newFakeEnv(t, nil)
	e.q.(*fakeQueue).dueErr = io.ErrUnexpectedEOF
	if _, err := e.u.RunOnce(context.Background()); err == nil || !strings.Contains(err.Error(), "list due packages") {
		t.Fatalf("err = %v", err)
	}
}

func TestBadPayloadDoesNotBlockOthers(t *testing.T) {
	e := newFakeEnv(t, nil)
	ids := e.q.add(3, 1000)
	e.q.(*fakeQueue).payErr[ids[0]] = io.ErrUnexpectedEOF // e.g. a payload that no longer decrypts
	rep := e.run()
	if rep.Delivered != 2 || rep.Failed != 1 || !strings.Contains(e.q.get(ids[0]).lastErr, "read payload") {
		t.Fatalf("report %+v %q", rep, e.q.get(ids[0]).lastErr)
	}
}

func TestRedirectResendsBody(t *testing.T) {
	e := newEnv(t, nil)
	e.q.add(2, 50_000)
	e.rc.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Query().Get("moved") == "" {
			// 307 keeps the method and body: the client must send it again.
			http.Redirect(w, r, r.URL.Path+"?moved=1", http.StatusTemporaryRedirect)
			return true
		}
		return false
	})
	if rep := e.run(); rep.Delivered != 2 {
		t.Fatalf("report %+v, log %s", rep, e.log.String())
	}
}

func TestBadBaseURL(t *testing.T) {
	e := newFakeEnv(t, func(c *Config) { c.BaseURL = "" })
	if _, err := e.u.RunOnce(context.Background()); err == nil || !strings.Contains(err.Error(), "not an http(s) URL") {
		t.Fatalf("err = %v", err)
	}
}
