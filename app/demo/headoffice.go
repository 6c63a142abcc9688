package demo

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/sync/headoffice"
	"almatel.kz/signkiosk/sync/pki"
)

// HeadOffice is the reference receiver running in-process on loopback, as
// the demo's head office: uploads over mTLS with a demo PKI, downloads (the
// done screen's QR) over plain HTTP on another port.
type HeadOffice struct {
	URL          string      // https://127.0.0.1:port, mTLS
	DownloadBase string      // http://127.0.0.1:port
	ClientTLS    *tls.Config // the kiosk's side of mTLS
	// DeviceCert is the kiosk's device certificate (device.pem) from its
	// enrolment; KioskCA the CA that issued it, PEM, for verifiers.
	DeviceCert []byte
	KioskCA    []byte

	srv      *headoffice.Server
	now      func() time.Time
	up, down *http.Server
	index    *headoffice.SQLiteIndex
}

// StartHeadOffice serves a head office whose data lives under
// dataDir/headoffice (PKI, packages, index, link key), made once, and
// enrols the demo kiosk kioskID with it, as `signkiosk headoffice enrol`
// does: its client certificate, and the device certificate for its device
// key devicePub, in the register. roots are the national CA's it validates
// every package's signature against.
func StartHeadOffice(dataDir, kioskID string, devicePub ed25519.PublicKey, roots *x509.CertPool, now func() time.Time, log zerolog.Logger) (*HeadOffice, error) {
	dir := filepath.Join(dataDir, "headoffice")
	p, err := pki.LoadOrCreate(filepath.Join(dir, "pki"), now)
	if err != nil {
		return nil, fmt.Errorf("demo head office: %w", err)
	}
	linkKey, err := headoffice.LoadOrCreateLinkKey(filepath.Join(dir, "link.key"))
	if err != nil {
		return nil, fmt.Errorf("demo head office: %w", err)
	}
	ctx := context.Background()
	index, err := headoffice.OpenIndex(ctx, filepath.Join(dir, "index.db"))
	if err != nil {
		return nil, fmt.Errorf("demo head office: %w", err)
	}
	fail := func(err error) (*HeadOffice, error) {
		index.Close()
		return nil, fmt.Errorf("demo head office: %w", err)
	}
	enr, err := headoffice.EnrolKiosk(ctx, index, p, filepath.Join(dir, "pki"), kioskID, devicePub, now())
	if err != nil {
		return fail(err)
	}
	clientTLS, err := pki.ClientTLS(enr.CACert, enr.ClientCert, enr.ClientKey)
	if err != nil {
		return fail(err)
	}
	srv, err := headoffice.New(headoffice.Config{
		Storage:    &headoffice.FileStorage{Dir: filepath.Join(dir, "packages")},
		Index:      index,
		Log:        log.With().Str("component", "headoffice").Logger(),
		Now:        now,
		LinkKey:    linkKey,
		Roots:      roots,
		KioskRoots: p.CAPool,
	})
	if err != nil {
		return fail(err)
	}
	h := &HeadOffice{ClientTLS: clientTLS, DeviceCert: enr.Device, srv: srv, now: now, index: index,
		KioskCA: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.CA.Raw})}
	upLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		index.Close()
		return nil, fmt.Errorf("demo head office: %w", err)
	}
	downLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		upLn.Close()
		index.Close()
		return nil, fmt.Errorf("demo head office: %w", err)
	}
	h.URL, h.DownloadBase = "https://"+upLn.Addr().String(), "http://"+downLn.Addr().String()
	h.up = &http.Server{Handler: srv.Handler(), TLSConfig: srv.TLSConfig(pki.ServerTLS(p)), ReadHeaderTimeout: 10 * time.Second}
	h.down = &http.Server{Handler: srv.DownloadHandler(), ReadHeaderTimeout: 10 * time.Second}
	serve := func(name string, run func() error) {
		if err := run(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error().Err(err).Str("listener", name).Msg("demo head office stopped")
		}
	}
	go serve("upload", func() error { return h.up.ServeTLS(upLn, "", "") })
	go serve("download", func() error { return h.down.Serve(downLn) })
	return h, nil
}

// Link is the expiring download link of a package, for the done screen.
func (h *HeadOffice) Link(id string) string { return h.srv.Link(h.DownloadBase, id, h.now()) }

// Close stops both listeners and closes the index.
func (h *HeadOffice) Close(ctx context.Context) error {
	err := errors.Join(h.up.Shutdown(ctx), h.down.Shutdown(ctx))
	return errors.Join(err, h.index.Close())
}
