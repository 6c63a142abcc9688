package kiosk_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/kiosk/kiosktest"
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
