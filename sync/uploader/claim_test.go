package uploader_test

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/logging"
	"almatel.kz/signkiosk/app/logging/logtest"
	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/sync/headoffice"
	"almatel.kz/signkiosk/sync/pki"
	"almatel.kz/signkiosk/sync/uploader"
)

// office is a head office on mTLS and two kiosks of one office, each with
// its own local ledger, both asking the office-wide one.
type office struct {
	srv     *httptest.Server
	priv    ed25519.PrivateKey
	kiosks  [2]kiosk.Gate
	clients [2]*http.Client
	logs    *logtest.Buffer
}

func newOffice(t *testing.T) *office {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	p, err := pki.LoadOrCreate(filepath.Join(dir, "pki"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	index, err := headoffice.OpenIndex(ctx, filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { index.Close() })
	ho, err := headoffice.New(headoffice.Config{Storage: &headoffice.FileStorage{Dir: filepath.Join(dir, "packages")},
		Index: index, Log: zerolog.Nop(), LinkKey: []byte("0123456789abcdef0123456789abcdef"),
		Roots: x509.NewCertPool(), KioskRoots: p.CAPool})
	if err != nil {
		t.Fatal(err)
	}
	o := &office{logs: &logtest.Buffer{}}
	o.srv = httptest.NewUnstartedServer(ho.Handler())
	o.srv.TLS = ho.TLSConfig(pki.ServerTLS(p))
	o.srv.StartTLS()
	t.Cleanup(o.srv.Close)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	o.priv = priv
	for i, cn := range []string{"ALM-001-K1", "ALM-001-K2"} {
		cert, key, err := p.ClientCert(filepath.Join(dir, cn), cn)
		if err != nil {
			t.Fatal(err)
		}
		tlsCfg, err := pki.ClientTLS(p.CAPath(), cert, key)
		if err != nil {
			t.Fatal(err)
		}
		o.clients[i] = uploader.NewClient(tlsCfg, 1)
		db, err := store.Open(ctx, filepath.Join(dir, cn+".db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ledger, err := ticket.NewLedger(db)
		if err != nil {
			t.Fatal(err)
		}
		o.kiosks[i] = kiosk.Gate{
			Verifier: ticket.Verifier{PublicKey: pub, Office: "ALM-001", Skew: time.Minute}, Ledger: ledger,
			Office: uploader.TicketClaims{Client: o.clients[i], BaseURL: o.srv.URL}, Log: logging.New(o.logs, zerolog.InfoLevel),
		}
	}
	return o
}

func (o *office) ticket(t *testing.T) string {
	t.Helper()
	text, err := ticket.Encode(ticket.NewPayload(ticket.DemoOrder(), "ALM-001", "S-1", time.Now(), time.Hour), o.priv)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// Online: the ticket that started a session on one kiosk is refused on the
// other, with its own code; the first kiosk still refuses a second use.
func TestTicketOncePerOffice(t *testing.T) {
	o := newOffice(t)
	ctx := context.Background()
	text := o.ticket(t)
	if _, err := o.kiosks[0].Admit(ctx, text, time.Now()); err != nil {
		t.Fatalf("first kiosk: %v", err)
	}
	_, err := o.kiosks[1].Admit(ctx, text, time.Now())
	if !errors.Is(err, ticket.ErrUsedElsewhere) || kiosk.TicketErrorCode(err) != "ticket_used_elsewhere" {
		t.Fatalf("second kiosk: %v (%s)", err, kiosk.TicketErrorCode(err))
	}
	if _, err := o.kiosks[0].Admit(ctx, text, time.Now()); !errors.Is(err, ticket.ErrReused) {
		t.Fatalf("first kiosk again: %v", err)
	}
	// A claim the same kiosk repeats (a retry after a lost answer) is its own.
	p, err := o.kiosks[0].Verifier.Verify(text, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := o.kiosks[0].Office.Claim(ctx, p.TID, p.ExpiresAt()); err != nil {
		t.Fatalf("repeated claim: %v", err)
	}
	// Another ticket still starts on the second kiosk.
	if _, err := o.kiosks[1].Admit(ctx, o.ticket(t), time.Now()); err != nil {
		t.Fatalf("a fresh ticket: %v", err)
	}
}

// Offline: head office unreachable, a session still starts on the local
// ledger (and says so in the log, without personal data); the local ledger
// still refuses the ticket a second time.
func TestTicketAdmittedWhenHeadOfficeUnreachable(t *testing.T) {
	o := newOffice(t)
	o.srv.Close()
	ctx := context.Background()
	text := o.ticket(t)
	if _, err := o.kiosks[0].Admit(ctx, text, time.Now()); err != nil {
		t.Fatalf("offline: %v", err)
	}
	if _, err := o.kiosks[0].Admit(ctx, text, time.Now()); !errors.Is(err, ticket.ErrReused) {
		t.Fatalf("offline reuse: %v", err)
	}
	log := o.logs.String()
	if !strings.Contains(log, "office_ledger_unreachable") || strings.Contains(log, ticket.DemoOrder().Subscriber.IIN) {
		t.Fatalf("log:\n%s", log)
	}
}

// A head office that takes too long is not waited for past OfficeTimeout.
func TestTicketClaimTimeout(t *testing.T) {
	o := newOffice(t)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The body read, the server notices the client leave; never longer
		// than a few seconds in any case.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	g := o.kiosks[0]
	g.Office = uploader.TicketClaims{Client: slow.Client(), BaseURL: slow.URL}
	g.OfficeTimeout = 50 * time.Millisecond
	if _, err := g.Admit(context.Background(), o.ticket(t), time.Now()); err != nil {
		t.Fatalf("slow head office: %v", err)
	}
}
