// Package kiosktest assembles a real kiosk core for tests: the provider
// simulator and its national CA (TSA, OCSP) over HTTP, the runner with the
// real sealer, a ticket gate on SQLite in a temp dir, the
// folder store (or the outbox in the same database), the storage probe, and
// a log buffer to grep for personal data.
package kiosktest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"database/sql"
	"encoding/pem"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/logging"
	"almatel.kz/signkiosk/app/logging/logtest"
	"almatel.kz/signkiosk/app/pack/packtest"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/provider/sim/simtest"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/camera"
	"almatel.kz/signkiosk/sync/outbox"
	"almatel.kz/signkiosk/sync/pki"
)

// LogBuffer is a log sink safe for the runner's goroutines.
type LogBuffer = logtest.Buffer

// Office is the rig's office code.
const Office = "ALM-001"

// KioskID is the rig's kiosk.
const KioskID = "K1"

// Options tune a rig; zero values take the defaults noted.
type Options struct {
	Timeout   time.Duration    // provider call timeout; 5 s
	Limits    session.Limits   // session.DefaultLimits when zero
	SlowDelay time.Duration    // the simulator's slow trigger; 2 s
	Tick      time.Duration    // the runner's clock tick; 20 ms
	Now       func() time.Time // the runner's clock; time.Now

	// Outbox keeps packages in the outbox in the kiosk database (as the
	// kiosk does) instead of files; OneConn limits that database to one
	// connection, so a per-connection PRAGMA (max_page_count) holds for
	// every write.
	Outbox, OneConn bool
	MinFree         uint64 // free space the storage probe wants; 1 byte when zero
	NoProbe         bool   // no storage probe: only writes find faults

	// Wrappers around the runner's parts, e.g. to time them; nil keeps them.
	WrapProvider func(kiosk.Provider) kiosk.Provider
	WrapDocs     func(kiosk.Documents) kiosk.Documents
	WrapStore    func(kiosk.Store) kiosk.Store
	WrapCamera   func(kiosk.Capturer) kiosk.Capturer
	WrapTickets  func(kiosk.TicketGate) kiosk.TicketGate
	WrapSealer   func(kiosk.Sealer) kiosk.Sealer
	// WrapFailed wraps the failed-session store (with Outbox only).
	WrapFailed func(kiosk.FailedSessions) kiosk.FailedSessions

	// Source is the camera the capture reads (and whose identity the
	// evidence records); a synthetic subscriber when nil.
	Source camera.Source
}

// Rig is a running kiosk core.
type Rig struct {
	Sim       *sim.Simulator
	NCA       *simtest.Server // the simulated national CA and its roots
	KioskCA   *pki.PKI        // issued the kiosk's device certificate
	Runner    *kiosk.Runner
	TicketKey ed25519.PrivateKey
	Log       *LogBuffer
	Logger    zerolog.Logger
	SignedDir string // where PackageStore writes the ZIPs (without Outbox)
	DB        *sql.DB
	DBPath    string
	Outbox    *outbox.Outbox // with Options.Outbox
	// DeviceCert is the kiosk's device.pem (KioskCA issued it): what head
	// office's register must hold to take the kiosk's packages and records.
	DeviceCert []byte
	now        func() time.Time
}

// New starts a rig; everything stops when the test ends.
func New(t testing.TB, o Options) *Rig {
	t.Helper()
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	if o.Limits == (session.Limits{}) {
		o.Limits = session.DefaultLimits()
	}
	if o.SlowDelay == 0 {
		o.SlowDelay = 2 * time.Second
	}
	if o.Tick == 0 {
		o.Tick = 20 * time.Millisecond
	}
	logBuf := &LogBuffer{}
	log := logging.New(logBuf, zerolog.DebugLevel)
	srv := simtest.Start(t, sim.Config{APIKey: "test-key", Log: log, SlowDelay: o.SlowDelay})
	s := srv.Sim
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MinFree == 0 {
		o.MinFree = 1 // the test machine's free space is not the test's business
	}
	capNow := time.Now
	if o.Source == nil {
		// The drawn subscriber acts at a person's pace on a clock that
		// sleeps by moving forward: a whole sequence takes milliseconds.
		clk := &camera.FastClock{}
		syn := camera.NewSynthetic(240, 180, 8)
		syn.Clock = clk
		o.Source, capNow = syn, clk.Now
	}
	dbPath := filepath.Join(t.TempDir(), "kiosk.db")
	db, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if o.OneConn {
		db.SetMaxOpenConns(1)
	}
	var probe kiosk.StorageProbe
	if !o.NoProbe {
		if probe, err = store.NewProbe(db, dbPath, o.MinFree); err != nil {
			t.Fatal(err)
		}
	}
	ledger, err := ticket.NewLedger(db)
	if err != nil {
		t.Fatal(err)
	}
	signed := t.TempDir()
	_, deviceKey, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	// The kiosk is enrolled with a kiosk CA of its own, as head office's
	// enrolment would: its packages carry that device certificate.
	kioskCA, err := pki.LoadOrCreate(t.TempDir(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	deviceCert := packtest.IssueDevice(t, kioskCA, KioskID, deviceKey.Public().(ed25519.PublicKey))
	if err := s.TrustKiosks(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kioskCA.CA.Raw})); err != nil {
		t.Fatal(err)
	}
	var prov kiosk.Provider = provider.NewClient(srv.URL, "test-key", nil, o.Timeout)
	var docs kiosk.Documents = kiosk.PDFDocuments{}
	var sink kiosk.Sink = kiosk.FileSink{Dir: signed}
	var ob *outbox.Outbox
	if o.Outbox {
		key := make([]byte, outbox.KeySize)
		rand.Read(key)
		if ob, err = outbox.Open(context.Background(), db, key, o.Now); err != nil {
			t.Fatal(err)
		}
		sink = outboxSink{ob}
	}
	// Sessions that end before signing leave their record in the outbox,
	// as on the kiosk.
	var failed kiosk.FailedSessions
	if ob != nil {
		failed = kiosk.FailedSessionStore{KioskID: KioskID, DeviceKey: deviceKey, DeviceCert: deviceCert, Queue: ob,
			Camera: func() kiosk.CameraIdentity { return kiosk.CameraIdentity(camera.IdentityOf(o.Source)) }}
		if o.WrapFailed != nil {
			failed = o.WrapFailed(failed)
		}
	}
	var st kiosk.Store = kiosk.PackageStore{KioskID: KioskID, DeviceKey: deviceKey, DeviceCert: deviceCert, Sink: sink,
		Link:   func(id string) string { return "https://example.test/p/" + id },
		Camera: func() kiosk.CameraIdentity { return kiosk.CameraIdentity(camera.IdentityOf(o.Source)) }}
	if o.WrapProvider != nil {
		prov = o.WrapProvider(prov)
	}
	if o.WrapDocs != nil {
		docs = o.WrapDocs(docs)
	}
	if o.WrapStore != nil {
		st = o.WrapStore(st)
	}
	var cam kiosk.Capturer = camera.Capturer{Source: o.Source, PerMove: 1, Now: capNow}
	if o.WrapCamera != nil {
		cam = o.WrapCamera(cam)
	}
	var sealer kiosk.Sealer = srv.Sealer(o.Now)
	if o.WrapSealer != nil {
		sealer = o.WrapSealer(sealer)
	}
	var gate kiosk.TicketGate = kiosk.Gate{Verifier: ticket.Verifier{PublicKey: pub, Office: Office, Skew: time.Minute}, Ledger: ledger}
	if o.WrapTickets != nil {
		gate = o.WrapTickets(gate)
	}
	r := kiosk.New(kiosk.Config{
		Machine:  session.Machine{Limits: o.Limits},
		Now:      o.Now,
		Log:      log,
		KioskID:  KioskID,
		Provider: prov,
		Camera:   cam,
		Attester: kiosk.DeviceAttester{Key: deviceKey, Cert: deviceCert,
			Camera: func() kiosk.CameraIdentity { return kiosk.CameraIdentity(camera.IdentityOf(o.Source)) }},
		Tickets: gate,
		Store:   st,
		Docs:    docs,
		Sealer:  sealer,
		Tick:    o.Tick,
		Storage: probe,
		Failed:  failed,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &Rig{Sim: s, NCA: srv, KioskCA: kioskCA, Runner: r, TicketKey: priv, Log: logBuf, Logger: log, SignedDir: signed,
		DB: db, DBPath: dbPath, Outbox: ob, DeviceCert: deviceCert, now: o.Now}
}

// Roots trust what the rig's packages chain to: the simulated national
// CA's root and the rig's kiosk CA.
func (g *Rig) Roots() *x509.CertPool {
	roots := g.NCA.Roots()
	roots.AddCert(g.KioskCA.CA)
	return roots
}

// outboxSink is the kiosk's sink: the package and its signed session in
// one outbox transaction.
type outboxSink struct{ ob *outbox.Outbox }

func (s outboxSink) Keep(ctx context.Context, b kiosk.Built) error {
	return s.ob.Enqueue(ctx, outbox.Package{ID: b.ID, TicketID: b.TicketID, SignedAt: b.SignedAt, Zip: b.Zip})
}

// Clock is a clock the test moves; safe for the runner's goroutines.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at the real time now (tickets are signed on it).
func NewClock() *Clock { return &Clock{t: time.Now()} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock on.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Ticket signs a fresh ticket (new id, valid one hour) for o.
func (g *Rig) Ticket(t testing.TB, o ticket.Order) string {
	t.Helper()
	text, err := ticket.Encode(ticket.NewPayload(o, Office, "S-1", g.now(), time.Hour), g.TicketKey)
	if err != nil {
		t.Fatal(err)
	}
	return text
}
