package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/sync/outbox"
	"almatel.kz/signkiosk/sync/pki"
)

func runSyncArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runSync(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestSyncUsage(t *testing.T) {
	t.Setenv(config.EnvConfig, "")
	if code, _, _ := runSyncArgs(t, "extra"); code != 2 {
		t.Fatalf("positional arg: exit %d, want 2", code)
	}
	if code, _, _ := runSyncArgs(t, "--bogus"); code != 2 {
		t.Fatalf("unknown flag: exit %d, want 2", code)
	}
	if code, _, _ := runSyncArgs(t, "--help"); code != 0 {
		t.Fatalf("--help: exit %d, want 0", code)
	}
}

func TestSyncDemoMode(t *testing.T) {
	t.Setenv(config.EnvConfig, "")
	t.Setenv(config.EnvDataDir, t.TempDir())
	code, _, stderr := runSyncArgs(t)
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "demo mode has no head office configured") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestSyncBadConfig(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.toml")
	if err := os.WriteFile(p, []byte("office = \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runSyncArgs(t, "--config", p); code != 2 || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// syncFixture is a kiosk data dir with a key, a demo PKI and a config file
// pointing at url.
type syncFixture struct {
	dir, cfgPath, keyPath string
	pki                   *pki.PKI
}

func newSyncFixture(t *testing.T) *syncFixture {
	t.Helper()
	f := &syncFixture{dir: t.TempDir()}
	p, err := pki.LoadOrCreate(filepath.Join(f.dir, "pki"), nil)
	if err != nil {
		t.Fatal(err)
	}
	f.pki = p
	f.keyPath = filepath.Join(f.dir, "outbox.key")
	return f
}

func (f *syncFixture) writeConfig(t *testing.T, url string) {
	t.Helper()
	cert, key, err := f.pki.ClientCert(filepath.Join(f.dir, "pki"), "ALM-001-K1")
	if err != nil {
		t.Fatal(err)
	}
	f.cfgPath = filepath.Join(f.dir, "kiosk.toml")
	body := fmt.Sprintf(`data_dir = %q
[provider]
url = "https://bio.example.kz"
api_key = "k"
[nca]
tsa_url = "http://tsp.example.kz"
roots = %q
[outbox]
key_file = %q
[sync]
headoffice_url = %q
ca_cert = %q
client_cert = %q
client_key = %q
timeout = "5s"
`, f.dir, f.pki.CAPath(), f.keyPath, url, f.pki.CAPath(), cert, key)
	if err := os.WriteFile(f.cfgPath, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// enqueue puts n packages into the kiosk's outbox, creating the key.
func (f *syncFixture) enqueue(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	key, err := outbox.LoadOrCreateKey(f.keyPath, true)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(f.dir, "kiosk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ob, err := outbox.Open(ctx, db, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		id := fmt.Sprintf("pkg-%d", i)
		if err := ob.Enqueue(ctx, outbox.Package{ID: id, TicketID: "T-" + id, SignedAt: time.Now(), Zip: []byte("zip " + id)}); err != nil {
			t.Fatal(err)
		}
	}
}

// mtlsServer answers every PUT with status after reading the body; it
// requires a client certificate from the fixture's CA.
func (f *syncFixture) mtlsServer(t *testing.T, status int, puts *atomic.Int32) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if len(r.TLS.PeerCertificates) == 0 || r.Header.Get("Content-Digest") == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		puts.Add(1)
		w.WriteHeader(status)
	}))
	srv.TLS = pki.ServerTLS(f.pki)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestSyncDelivers(t *testing.T) {
	f := newSyncFixture(t)
	var puts atomic.Int32
	srv := f.mtlsServer(t, http.StatusCreated, &puts)
	f.writeConfig(t, srv.URL)
	f.enqueue(t, 3)
	code, stdout, stderr := runSyncArgs(t, "--config", f.cfgPath)
	if code != 0 || !strings.Contains(stdout, "delivered 3") || puts.Load() != 3 {
		t.Fatalf("exit %d, stdout %q, stderr %q, puts %d", code, stdout, stderr, puts.Load())
	}
	// Delivered: nothing is due any more.
	code, stdout, _ = runSyncArgs(t, "--config", f.cfgPath)
	if code != 0 || !strings.Contains(stdout, "delivered 0") || puts.Load() != 3 {
		t.Fatalf("second sync: exit %d, %q, puts %d", code, stdout, puts.Load())
	}
}

func TestSyncFailureExits1(t *testing.T) {
	f := newSyncFixture(t)
	var puts atomic.Int32
	srv := f.mtlsServer(t, http.StatusServiceUnavailable, &puts)
	f.writeConfig(t, srv.URL)
	f.enqueue(t, 2)
	code, stdout, stderr := runSyncArgs(t, "--config", f.cfgPath)
	if code != 1 || !strings.Contains(stdout, "failed 2") || !strings.Contains(stderr, "not delivered") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestSyncMissingKey(t *testing.T) {
	f := newSyncFixture(t)
	f.writeConfig(t, "https://127.0.0.1:1")
	// A key file the config names and that is not there is a config fault.
	code, _, stderr := runSyncArgs(t, "--config", f.cfgPath)
	if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "outbox key") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestSyncBadClientCert(t *testing.T) {
	f := newSyncFixture(t)
	f.writeConfig(t, "https://127.0.0.1:1")
	f.enqueue(t, 1)
	cert, _, _ := f.pki.ClientCert(filepath.Join(f.dir, "pki"), "ALM-001-K1")
	if err := os.WriteFile(cert, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runSyncArgs(t, "--config", f.cfgPath)
	if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "client certificate") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// The mTLS client key is refused when others can read it: a config fault.
func TestSyncClientKeyReadableByOthers(t *testing.T) {
	f := newSyncFixture(t)
	f.writeConfig(t, "https://127.0.0.1:1")
	f.enqueue(t, 1)
	_, key, _ := f.pki.ClientCert(filepath.Join(f.dir, "pki"), "ALM-001-K1")
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runSyncArgs(t, "--config", f.cfgPath)
	if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, key+": mode 0644 lets others read it; chmod 600 it") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// sync.timeout = 120 was 120 ns, and every upload failed "did not answer
// within 120ns": now it stops at the config, naming the key.
func TestSyncBareDuration(t *testing.T) {
	f := newSyncFixture(t)
	f.writeConfig(t, "https://127.0.0.1:1")
	b, _ := os.ReadFile(f.cfgPath)
	os.WriteFile(f.cfgPath, []byte(strings.Replace(string(b), `timeout = "5s"`, "timeout = 120", 1)), 0o600)
	code, _, stderr := runSyncArgs(t, "--config", f.cfgPath)
	if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, `sync.timeout = 120 has no unit; write a duration like "120s"`) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestSyncHeadOfficeDown(t *testing.T) {
	f := newSyncFixture(t)
	f.writeConfig(t, "https://127.0.0.1:1")
	f.enqueue(t, 2)
	code, stdout, _ := runSyncArgs(t, "--config", f.cfgPath)
	if code != 1 || !strings.Contains(stdout, "failed 2") {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
}

// A data folder that is not there (a disk not mounted) is named as missing
// and not made: an empty database in its place would hide the real one.
func TestSyncMissingDataFolder(t *testing.T) {
	f := newSyncFixture(t)
	f.writeConfig(t, "https://127.0.0.1:1")
	gone := filepath.Join(f.dir, "not-mounted")
	b, err := os.ReadFile(f.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(fmt.Sprintf("data_dir = %q", f.dir)), []byte(fmt.Sprintf("data_dir = %q", gone)), 1)
	if err := os.WriteFile(f.cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := outbox.LoadOrCreateKey(f.keyPath, true); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runSyncArgs(t, "--config", f.cfgPath)
	if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "does not exist") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(gone); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the missing data folder was made: %v", err)
	}
}
