package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/staffpin"
	"almatel.kz/signkiosk/camera"
	"almatel.kz/signkiosk/sync/outbox"
	"almatel.kz/signkiosk/sync/uploader"
	"almatel.kz/signkiosk/ui"
)

// staffFixture is the real staff backend over a real outbox (one pending,
// one dead letter) and a stand-in head office and provider.
type staffFixture struct {
	ops   *staffOps
	ob    *outbox.Outbox
	langs []string
	exits int
}

// staffTestKey is the provider key the fixture's kiosk sends.
const staffTestKey = "staff-test-key"

// staffTestHash is the fixtures' configured PIN hash at full strength, made
// once: 600,000 PBKDF2 rounds per fixture were seconds under -race.
var staffTestHash = sync.OnceValues(func() (string, error) { return staffpin.Hash("482913") })

func newStaffFixture(t *testing.T, providerURL, headURL string) *staffFixture {
	t.Helper()
	ctx := context.Background()
	ob, db := openTestOutbox(t, t.TempDir())
	t.Cleanup(func() { db.Close() })
	for _, id := range []string{"pkg-a", "pkg-dead"} {
		if err := ob.Enqueue(ctx, outbox.Package{ID: id, TicketID: "t-" + id, SignedAt: time.Now(), Zip: []byte("PK " + id)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ob.MarkFailed(ctx, "pkg-dead", "head office answered 409", time.Time{}, true); err != nil {
		t.Fatal(err)
	}
	f := &staffFixture{ob: ob}
	cfg := config.Default()
	cfg.Provider.Timeout, cfg.Sync.Timeout = 2*time.Second, 2*time.Second
	enc, err := staffTestHash()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Staff.PinHash = enc
	up := uploader.New(uploader.Config{Queue: uploader.FromOutbox(ob), BaseURL: headURL, Timeout: 2 * time.Second})
	var out bytes.Buffer
	f.ops, err = newStaffOps(cfg, &out, staffParts{
		outbox: ob, upload: up, camera: func() camera.Source { return camera.NewSynthetic(320, 240, 30) },
		setLang:     func(l string) { f.langs = append(f.langs, l) },
		providerURL: providerURL, providerKey: staffTestKey, headOfficeURL: headURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("a configured PIN printed something: %q", out.String())
	}
	f.ops.options(func() { f.exits++ })
	return f
}

// headOffice answers health and takes every package.
func headOffice(t *testing.T, puts *atomic.Int32) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/health", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
	mux.HandleFunc("PUT /v1/packages/{id}", func(w http.ResponseWriter, _ *http.Request) {
		puts.Add(1) // the uploader PUTs concurrently
		w.WriteHeader(http.StatusCreated)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// downURL is an address nothing listens on.
func downURL(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

func TestStaffOutboxRequeueSync(t *testing.T) {
	ctx := context.Background()
	var puts atomic.Int32
	ho := headOffice(t, &puts)
	f := newStaffFixture(t, ho.URL, ho.URL)
	st, err := f.ops.Outbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 1 || st.Dead != 1 || st.Delivered != 0 || st.OldestPending.IsZero() || !st.LastSuccess.IsZero() {
		t.Fatalf("status: %+v", st)
	}
	n, err := f.ops.RequeueDead(ctx)
	if err != nil || n != 1 {
		t.Fatalf("requeue: %d, %v", n, err)
	}
	delivered, failed, dead, err := f.ops.SyncNow(ctx)
	if err != nil || delivered != 2 || failed != 0 || dead != 0 || puts.Load() != 2 {
		t.Fatalf("sync: %d delivered, %d failed, %d dead, %d PUTs, %v", delivered, failed, dead, puts.Load(), err)
	}
	st, err = f.ops.Outbox(ctx)
	if err != nil || st.Pending != 0 || st.Delivered != 2 || st.LastSuccess.IsZero() {
		t.Fatalf("after sync: %+v %v", st, err)
	}
}

// TestStaffConnectivity: against the provider simulator over real HTTP and
// the mTLS-less stand-in head office: both reachable and taking the kiosk;
// a provider that refuses the kiosk's key says so; nothing listening, and a
// head office answering but unhealthy, are not OK.
func TestStaffConnectivity(t *testing.T) {
	var puts atomic.Int32
	ho := headOffice(t, &puts)
	simServer := func(key string) *httptest.Server {
		s, err := sim.New(sim.Config{APIKey: key})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		return srv
	}
	provider := simServer(staffTestKey)

	up := newStaffFixture(t, provider.URL, ho.URL).ops.Check(context.Background())
	if len(up) != 2 || up[0].Name != "provider" || up[1].Name != "head_office" {
		t.Fatalf("%+v", up)
	}
	for _, c := range up {
		if !c.OK || c.Key != ui.KeyAccepted || c.Latency <= 0 || !strings.HasPrefix(c.Detail, "HTTP ") {
			t.Errorf("reachable: %+v", c)
		}
	}

	other := simServer("another-kiosks-key")
	got := newStaffFixture(t, other.URL, ho.URL).ops.Check(context.Background())
	if c := got[0]; c.OK || c.Key != ui.KeyRefused || !strings.Contains(c.Detail, "401") {
		t.Errorf("provider refusing the key: %+v", c)
	}

	down := newStaffFixture(t, downURL(t), downURL(t)).ops.Check(context.Background())
	for _, c := range down {
		if c.OK || c.Key != ui.KeyNotChecked || !strings.Contains(c.Detail, "refused") || strings.Contains(c.Detail, "http://") {
			t.Errorf("down: %+v", c)
		}
	}

	// Head office answering but unhealthy is not OK.
	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer sick.Close()
	got = newStaffFixture(t, provider.URL, sick.URL).ops.Check(context.Background())
	if got[1].OK || !strings.Contains(got[1].Detail, "503") {
		t.Errorf("unhealthy head office: %+v", got[1])
	}
}

func TestStaffCameraTest(t *testing.T) {
	f := newStaffFixture(t, "", "")
	// How many frames a second brings is the machine's business (a figure,
	// not a test): two prove the test reads on and counts.
	r := f.ops.CameraTest(context.Background(), time.Second)
	if r.Err != nil || r.Frames < 2 || r.FPS <= 0 || r.Width != 320 || r.Height != 240 {
		t.Fatalf("%+v", r)
	}
	t.Logf("synthetic 30 fps: %d frames, %.1f fps", r.Frames, r.FPS)

	// The menu closing ends the test at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := f.ops.CameraTest(ctx, time.Second); !errors.Is(r.Err, context.Canceled) {
		t.Fatalf("cancelled: %+v", r)
	}
	// A closed camera is an error, not zero fps.
	src := camera.NewSynthetic(320, 240, 30)
	src.Close()
	f.ops.camera = func() camera.Source { return src }
	if r := f.ops.CameraTest(context.Background(), time.Second); !errors.Is(r.Err, camera.ErrClosed) || r.Code != session.ErrCameraGone {
		t.Fatalf("closed camera: %+v, want ErrClosed with code %s (shown translated)", r, session.ErrCameraGone)
	}
}

func TestStaffPINAndLangAndExit(t *testing.T) {
	f := newStaffFixture(t, "", "")
	if !f.ops.VerifyPIN("482913") || f.ops.VerifyPIN("482914") || f.ops.VerifyPIN("") {
		t.Fatal("PIN check")
	}
	f.ops.SetDefaultLang("ru")
	f.ops.Exit()
	if len(f.langs) != 1 || f.langs[0] != "ru" || f.exits != 1 {
		t.Fatalf("langs %v exits %d", f.langs, f.exits)
	}
}

func TestStaffDemoPIN(t *testing.T) {
	cfg, err := config.LoadDemo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ops, err := newStaffOps(cfg, &out, staffParts{})
	if err != nil {
		t.Fatal(err)
	}
	line := out.String()
	const p = "staff PIN (demo): "
	if !strings.HasPrefix(line, p) || len(line) < len(p)+6 {
		t.Fatalf("demo line: %q", line)
	}
	pin := line[len(p) : len(p)+6]
	if !staffpin.ValidPIN(pin) || !ops.VerifyPIN(pin) {
		t.Fatalf("printed PIN %q does not open the menu", pin)
	}
}

func TestStaffPINRequiredOutsideDemo(t *testing.T) {
	cfg := config.Default() // not demo, no pin_hash
	if _, err := newStaffOps(cfg, &bytes.Buffer{}, staffParts{}); !errors.Is(err, config.ErrNoStaffPIN) {
		t.Fatalf("err = %v", err)
	}
}

func TestStaffPINCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := runStaffPIN(context.Background(), nil, strings.NewReader("482913\n"), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	text := out.String()
	i := strings.Index(text, `pin_hash = "`)
	if i < 0 {
		t.Fatalf("output: %q", text)
	}
	enc := strings.TrimSuffix(strings.TrimSpace(text[i+len(`pin_hash = "`):]), `"`)
	h, err := staffpin.Parse(enc)
	if err != nil || !h.Check("482913") {
		t.Fatalf("printed hash %q: %v", enc, err)
	}
	for _, bad := range []string{"123\n", "12ab56\n", "1234567890123\n", "", "\n"} {
		out.Reset()
		errOut.Reset()
		code := runStaffPIN(context.Background(), nil, strings.NewReader(bad), &out, &errOut)
		if code != 2 || strings.Count(errOut.String(), "\n") != 1 || out.Len() != 0 {
			t.Errorf("%q: exit %d, stderr %q", bad, code, errOut.String())
		}
	}
}
