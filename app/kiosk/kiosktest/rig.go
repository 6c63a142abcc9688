// Package kiosktest assembles a real kiosk core for tests: the provider
// simulator over HTTP, the runner, a ticket gate on SQLite in a temp dir, the
// folder store, and a log buffer to grep for personal data.
package kiosktest

import (
	"context"
	"crypto/ed25519"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/logging"
	"almatel.kz/signkiosk/app/logging/logtest"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/camera"
)

// LogBuffer is a log sink safe for the runner's goroutines.
type LogBuffer = logtest.Buffer

// Office is the rig's office code.
const Office = "ALM-001"

// Options tune a rig; zero values take the defaults noted.
type Options struct {
	Timeout   time.Duration  // provider call timeout; 5 s
	Limits    session.Limits // session.DefaultLimits when zero
	SlowDelay time.Duration  // the simulator's slow trigger; 2 s
	Tick      time.Duration  // the runner's clock tick; 20 ms

	// Wrappers around the runner's parts, e.g. to time them; nil keeps them.
	WrapProvider func(kiosk.Provider) kiosk.Provider
	WrapDocs     func(kiosk.Documents) kiosk.Documents
	WrapStore    func(kiosk.Store) kiosk.Store
	WrapCamera   func(kiosk.Capturer) kiosk.Capturer
}

// Rig is a running kiosk core.
type Rig struct {
	Sim       *sim.Simulator
	Runner    *kiosk.Runner
	TicketKey ed25519.PrivateKey
	Log       *LogBuffer
	Logger    zerolog.Logger
	SignedDir string // where PackageStore writes the ZIPs
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
	s, err := sim.New(sim.Config{APIKey: "test-key", Log: log, SlowDelay: o.SlowDelay})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "kiosk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ledger, err := ticket.NewLedger(db)
	if err != nil {
		t.Fatal(err)
	}
	signed := t.TempDir()
	_, deviceKey, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	var prov kiosk.Provider = provider.NewClient(srv.URL, "test-key", nil, o.Timeout)
	var docs kiosk.Documents = kiosk.PDFDocuments{}
	var st kiosk.Store = kiosk.PackageStore{KioskID: "K1", DeviceKey: deviceKey, Sink: kiosk.FileSink{Dir: signed},
		Link: func(id string) string { return "https://example.test/p/" + id }}
	if o.WrapProvider != nil {
		prov = o.WrapProvider(prov)
	}
	if o.WrapDocs != nil {
		docs = o.WrapDocs(docs)
	}
	if o.WrapStore != nil {
		st = o.WrapStore(st)
	}
	var cam kiosk.Capturer = camera.Capturer{Source: camera.NewSynthetic(160, 120, 60), Frames: 2}
	if o.WrapCamera != nil {
		cam = o.WrapCamera(cam)
	}
	r := kiosk.New(kiosk.Config{
		Machine:  session.Machine{Limits: o.Limits},
		Now:      time.Now,
		Log:      log,
		Provider: prov,
		Camera:   cam,
		Tickets:  kiosk.Gate{Verifier: ticket.Verifier{PublicKey: pub, Office: Office, Skew: time.Minute}, Ledger: ledger},
		Store:    st,
		Docs:     docs,
		Tick:     o.Tick,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &Rig{Sim: s, Runner: r, TicketKey: priv, Log: logBuf, Logger: log, SignedDir: signed}
}

// Ticket signs a fresh ticket (new id, valid one hour) for o.
func (g *Rig) Ticket(t testing.TB, o ticket.Order) string {
	t.Helper()
	text, err := ticket.Encode(ticket.NewPayload(o, Office, "S-1", time.Now(), time.Hour), g.TicketKey)
	if err != nil {
		t.Fatal(err)
	}
	return text
}
