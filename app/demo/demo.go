// Package demo sets up what a kiosk in demo mode runs beside it: the head
// office's ticket key (made once under the data dir), the provider simulator
// and the simulated national CA's services on loopback, and fresh demo
// tickets with their QR pictures.
package demo

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"
	qrcode "github.com/skip2/go-qrcode"

	"almatel.kz/signkiosk/app/keyfile"
	"almatel.kz/signkiosk/app/ncasim"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/ticket"
)

// APIKey is the bearer key the demo kiosk and simulator share.
const APIKey = "demo-kiosk-key"

// Env is a running demo environment.
type Env struct {
	ProviderURL string
	NCAURL      string // the national CA's services (ncasim's Path* under it)
	RootPEM     []byte // the national CA's root: what a verifier trusts
	Sim         *sim.Simulator
	PKI         *ncasim.PKI
	TicketKey   ed25519.PrivateKey
	TicketPub   ed25519.PublicKey

	dataDir string
	office  string
	now     func() time.Time
	srv     *http.Server
}

// NCAPrefix is where the national CA's services are served beside the
// provider simulator, without its bearer key.
const NCAPrefix = "/nca"

// Start makes the ticket key if needed and serves the simulator, with the
// national CA under NCAPrefix, on a free loopback port until Close.
func Start(dataDir, office string, now func() time.Time, log zerolog.Logger) (*Env, error) {
	priv, pub, err := ticket.LoadOrCreateKeyPair(dataDir)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	// Listen first: the CA's certificates embed its URLs, port included.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: simulator listen: %w", err)
	}
	url := "http://" + ln.Addr().String()
	pki, err := ncasim.New(ncasim.Config{BaseURL: url + NCAPrefix, Now: now, Log: log})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	s, err := sim.New(sim.Config{APIKey: APIKey, Log: log, Now: now, PKI: pki}) // sim.New names its component
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("demo: %w", err)
	}
	srv := &http.Server{Handler: pki.Mount(NCAPrefix, s), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error().Err(err).Msg("demo simulator stopped")
		}
	}()
	return &Env{
		ProviderURL: url, NCAURL: url + NCAPrefix, RootPEM: pki.RootPEM(), Sim: s, PKI: pki, TicketKey: priv, TicketPub: pub,
		dataDir: dataDir, office: office, now: now, srv: srv,
	}, nil
}

// NewTicket mints a ticket for the demo order, valid one hour, and writes
// its QR to <data>/demo-ticket.png. Each call makes a new ticket id, since
// a used one is refused.
func (e *Env) NewTicket() (text, pngPath string, err error) {
	p := ticket.NewPayload(ticket.DemoOrder(), e.office, "S-DEMO", e.now(), time.Hour)
	text, err = ticket.Encode(p, e.TicketKey)
	if err != nil {
		return "", "", fmt.Errorf("demo ticket: %w", err)
	}
	pngPath = filepath.Join(e.dataDir, "demo-ticket.png")
	png, err := qrcode.Encode(text, qrcode.Medium, 640)
	if err != nil {
		return "", "", fmt.Errorf("demo ticket QR: %w", err)
	}
	// The demo subscriber stands for a real one: 0600, and replaced whole
	// so the UI never reads half a picture.
	if err := keyfile.WriteFile(pngPath, png, 0o600); err != nil {
		return "", "", fmt.Errorf("demo ticket QR: %w", err)
	}
	return text, pngPath, nil
}

// Close stops the simulator and the national CA.
func (e *Env) Close(ctx context.Context) error {
	return e.srv.Shutdown(ctx)
}
