package kiosk_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/kiosk/kiosktest"
	"almatel.kz/signkiosk/app/logging"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/app/ticket"
)

// storageRig is a kiosk keeping its packages in the outbox of its one-
// connection database (so max_page_count holds for every write), on a clock
// the test moves.
func storageRig(t *testing.T, o kiosktest.Options) (*rig, *kiosktest.Clock) {
	t.Helper()
	clk := kiosktest.NewClock()
	o.Now, o.Outbox, o.OneConn = clk.Now, true, true
	g := kiosktest.New(t, o)
	return &rig{Rig: g, t: t, runner: g.Runner, sim: g.Sim, log: g.Log, signed: g.SignedDir}, clk
}

// pageLimit sets SQLite's page limit to what the database holds now (+extra
// pages): a disk that is full, as far as SQLite can tell. 0 lifts it.
func pageLimit(t *testing.T, db *sql.DB, extra int) {
	t.Helper()
	limit := 1073741823
	if extra >= 0 {
		if err := db.QueryRow(`PRAGMA page_count`).Scan(&limit); err != nil {
			t.Fatal(err)
		}
		limit += extra
	}
	if _, err := db.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, limit)); err != nil {
		t.Fatal(err)
	}
}

// The disk fills during a session: at its end the package cannot be
// stored. The signature stays in memory, the screen says the disk is full,
// the kiosk takes no new session; when there is room again (no restart,
// nobody touching it) the package is stored within 30 s on the kiosk's
// clock and new sessions start.
func TestDiskFullAtSessionEndRecoversByItself(t *testing.T) {
	g, clk := storageRig(t, kiosktest.Options{})
	order := ticket.DemoOrder()
	g.toCode(order)
	code := g.code()
	g.toBiometrics()
	g.toPassword()

	pageLimit(t, g.DB, 0)
	g.runner.Dispatch(session.PasswordEntered{Password: "Almaty#2026", Confirm: "Almaty#2026"})
	s := g.wait("store refused", func(s session.State) bool { return s.Retry == session.OpStore })
	if s.Step != session.StepSigning || s.Signed == nil || s.Err != session.ErrStoreDiskFull || s.Storage != session.ErrStorageDiskFull {
		t.Fatalf("step %v signed %v err %q storage %q", s.Step, s.Signed != nil, s.Err, s.Storage)
	}
	if st, _ := g.Outbox.Stats(context.Background()); st.Pending != 0 {
		t.Fatalf("a package went in although the disk is full: %+v", st)
	}

	// Still full: the retry fails again and the signature stays.
	clk.Add(31 * time.Second)
	g.wait("retried", func(s session.State) bool { return !s.RetryAt.IsZero() && s.RetryAt.After(clk.Now()) })
	if s := g.runner.State(); s.Step != session.StepSigning || s.Signed == nil {
		t.Fatalf("signature dropped while the disk is full: step %v", s.Step)
	}

	pageLimit(t, g.DB, -1) // room again
	clk.Add(31 * time.Second)
	s = g.waitStep(session.StepDone)
	if s.Receipt == nil || s.Signed == nil {
		t.Fatal("done without a receipt")
	}
	if st, _ := g.Outbox.Stats(context.Background()); st.Pending != 1 {
		t.Fatalf("outbox %+v, want the one package", st)
	}
	clk.Add(31 * time.Second) // the next look finds the database fine
	g.wait("storage ok", func(s session.State) bool { return s.Storage == "" })

	log := g.log.String()
	for _, want := range []string{`"event":"store_failed"`, `"code":"store_disk_full"`, `"event":"storage_fault"`, `"event":"storage_ok"`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s", want)
		}
	}
	assertNoPII(t, log, order, code, "Almaty#2026")
}

// A full disk seen at idle: tickets are refused before the ledger sees them
// (the ticket is still good afterwards), until the kiosk finds room again.
func TestDiskFullAtIdleRefusesTicketsUntilRoom(t *testing.T) {
	g, clk := storageRig(t, kiosktest.Options{})
	pageLimit(t, g.DB, 0)
	clk.Add(31 * time.Second)
	g.wait("disk full seen", func(s session.State) bool { return s.Storage == session.ErrStorageDiskFull })

	text := g.ticketFor(ticket.DemoOrder())
	g.runner.Scan(text)
	s := g.wait("ticket refused", func(s session.State) bool { return s.Err != "" })
	if s.Err != session.ErrStorageDiskFull || s.Step != session.StepIdle {
		t.Fatalf("err %q step %v", s.Err, s.Step)
	}

	pageLimit(t, g.DB, -1)
	clk.Add(31 * time.Second)
	g.wait("room seen", func(s session.State) bool { return s.Storage == "" })
	g.runner.Scan(text) // the same ticket: it was never recorded
	g.waitStep(session.StepWelcome)
}

// failingGate is the ticket gate whose ledger write fails with err.
type failingGate struct{ err error }

func (f failingGate) Admit(context.Context, string, time.Time) (ticket.Payload, error) {
	return ticket.Payload{}, fmt.Errorf("admit ticket: %w", f.err)
}

// The ticket ledger's write at a session's start failing with a real
// SQLITE_FULL: the ticket is refused as "disk full", not "ticket error",
// and the kiosk takes no session (no probe here, which would look again and
// decide; only the write speaks).
func TestLedgerDiskFullRefusesAsDiskFull(t *testing.T) {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "full.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	db.Exec(`CREATE TABLE t (b BLOB)`)
	pageLimit(t, db, 0)
	_, full := db.Exec(`INSERT INTO t VALUES (zeroblob(100000))`)
	if full == nil {
		t.Fatal("no SQLITE_FULL")
	}
	g, _ := storageRig(t, kiosktest.Options{NoProbe: true,
		WrapTickets: func(kiosk.TicketGate) kiosk.TicketGate { return failingGate{full} }})
	g.runner.Scan(g.ticketFor(ticket.DemoOrder()))
	s := g.wait("refused", func(s session.State) bool { return s.Err != "" })
	if s.Err != session.ErrStorageDiskFull || s.Storage != session.ErrStorageDiskFull {
		t.Fatalf("err %q storage %q", s.Err, s.Storage)
	}
}

// The database file removed while a session runs: SQLite stores the package
// without an error — into the removed file, lost at the next start. The
// kiosk must not show "done" for it: the signature stays, the screen says
// the database is missing, and no new session starts.
func TestDatabaseRemovedMidSessionNotDone(t *testing.T) {
	g, _ := storageRig(t, kiosktest.Options{})
	g.toCode(ticket.DemoOrder())
	g.toBiometrics()
	g.toPassword()
	if err := os.Rename(g.DBPath, g.DBPath+".elsewhere"); err != nil {
		t.Fatal(err)
	}
	g.runner.Dispatch(session.PasswordEntered{Password: "Almaty#2026", Confirm: "Almaty#2026"})
	s := g.wait("store refused", func(s session.State) bool { return s.Retry == session.OpStore || s.Step == session.StepDone })
	if s.Step != session.StepSigning || s.Signed == nil || s.Err != session.ErrStoreMissing || s.Storage != session.ErrStorageMissing {
		t.Fatalf("step %v signed %v err %q storage %q", s.Step, s.Signed != nil, s.Err, s.Storage)
	}
}

// flakyProbe finds a fault, then cannot look at all (a lock held too long).
type flakyProbe struct {
	mu  sync.Mutex
	err error
}

func (p *flakyProbe) set(err error) { p.mu.Lock(); p.err = err; p.mu.Unlock() }
func (p *flakyProbe) Check(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}
func (p *flakyProbe) InPlace() error { return nil }

// A look that could not run says nothing about the disk: a fault found
// before stays until a look that ran finds the database fine.
func TestStorageLookThatCannotRunKeepsFault(t *testing.T) {
	clk := kiosktest.NewClock()
	p := &flakyProbe{err: &store.Error{Path: "kiosk.db", Kind: store.ErrDiskFull, Detail: "the disk is full"}}
	log := &kiosktest.LogBuffer{}
	r := kiosk.New(kiosk.Config{Machine: session.Machine{Limits: session.DefaultLimits()}, Now: clk.Now,
		Log: logging.New(log, zerolog.DebugLevel), Storage: p, Tick: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	g := &rig{t: t, runner: r}
	g.wait("fault", func(s session.State) bool { return s.Storage == session.ErrStorageDiskFull })

	p.set(errors.New("database is locked"))
	clk.Add(31 * time.Second)
	g.wait("the look that could not run", func(session.State) bool { return strings.Contains(log.String(), "storage check did not run") })
	clk.Add(31 * time.Second)
	g.wait("a second one", func(session.State) bool { return strings.Count(log.String(), "storage check did not run") >= 2 })
	if s := r.State(); s.Storage != session.ErrStorageDiskFull {
		t.Fatalf("a look that did not run cleared the fault: %q", s.Storage)
	}
	p.set(nil)
	clk.Add(31 * time.Second)
	g.wait("fine again", func(s session.State) bool { return s.Storage == "" })
}
