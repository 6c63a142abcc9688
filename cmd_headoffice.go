package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/logging"
	"almatel.kz/signkiosk/sync/headoffice"
	"almatel.kz/signkiosk/sync/pki"
)

const headOfficeUsage = `usage: signkiosk headoffice --data DIR --roots FILE [--listen ADDR] [--download-listen ADDR] [--store file|postgres --dsn DSN] [--link-key FILE]
       signkiosk headoffice enrol KIOSK --data DIR [--device-pub FILE] [--store postgres --dsn DSN]
       signkiosk headoffice revoke KIOSK --data DIR [--store postgres --dsn DSN]
       signkiosk headoffice kiosks --data DIR [--store postgres --dsn DSN]
       signkiosk headoffice failed --data DIR [--since 2026-03-01|24h|7d] [--office CODE] [--kiosk ID] [--reason CODE] [--limit 100] [--json] [--store postgres --dsn DSN]

Run the reference head-office receiver. Kiosks PUT signed packages to
https://LISTEN/v1/packages/{id} with a client certificate from the kiosk CA
kept in DIR/pki (made on first run). Every package is verified as
'signkiosk verify' does, its long-term signature against the --roots (the
national CA's), its manifest against the id it is put under, and its
device certificate against the kiosk CA and the register of enrolled
kiosks: a package signed by a kiosk head office did not enrol, has revoked,
or that is not the kiosk delivering it is refused with 422 naming the
check, as is one that is not long-term valid; the report of an accepted
one is kept in its index row. A revoked kiosk's connections are refused.
Subscribers download the electronic-document card over
http://DOWNLOAD-LISTEN/v1/p/{id} with an expiring signed link (the whole
ZIP with &format=zip). The download listener is plain HTTP for loopback
demos: put a TLS-terminating proxy in front of it anywhere else. Prints the
addresses, the CA and the register's size, then serves until interrupted.

'enrol' issues a kiosk's client certificate and its device certificate
(for the kiosk's device key, --device-pub <kiosk data>/device-ed25519.pub;
without it a device key is made here to install on the kiosk) into
DIR/pki, records the kiosk in the register and prints the paths. 'revoke'
revokes a kiosk for good, durably (DIR/index.db), effective at once on a
running head office. 'kiosks' lists the register.

--store postgres keeps package bodies, the index, the register, ticket
claims and failed sessions in PostgreSQL (--dsn, or $SIGNKIOSK_HEADOFFICE_DSN;
the schema is made and migrated at start) instead of DIR/packages and
DIR/index.db: any number of replicas then serve the same kiosks over one
database. Replicas share DIR/pki (the kiosk CA) and the download link key
(--link-key, default DIR/link.key) as configuration (docs/HEADOFFICE.md).

'failed' lists the sessions that ended before signing (biometrics failed
for good, the provider refused, a cancel, a timeout…), newest first, as
their kiosks signed them: office, kiosk, reason, step, last error code,
biometric attempts, ticket, order and staff code — never personal data
(docs/FAILED_SESSIONS.md). Kiosks deliver these records with their packages
to https://LISTEN/v1/failed-sessions/{id}, checked as packages are.

`

// headOfficeShutdownGrace bounds how long in-flight uploads may finish
// after the command is asked to stop.
const headOfficeShutdownGrace = 15 * time.Second

// runHeadOffice handles "signkiosk headoffice".
func runHeadOffice(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "enrol", "enroll":
			return runEnrol(ctx, args[1:], stdout, stderr)
		case "revoke":
			return runRevoke(ctx, args[1:], stdout, stderr)
		case "kiosks":
			return runKiosks(ctx, args[1:], stdout, stderr)
		case "failed":
			return runFailed(ctx, args[1:], stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("headoffice", flag.ContinueOnError)
	// Parse errors are reported as one line below, not with the usage.
	fs.SetOutput(io.Discard)
	listen := fs.String("listen", "127.0.0.1:8702", "mTLS upload `address`")
	dlListen := fs.String("download-listen", "127.0.0.1:8703", "download link `address` (plain HTTP)")
	dataDir := fs.String("data", "", "data `dir`ectory: pki/, packages/, index.db, link.key (required)")
	maxSize := fs.Int64("max-size", headoffice.DefaultMaxSize, "largest accepted package in `bytes`")
	maxMemory := fs.Int64("max-memory", 0, "`bytes` that uploads being verified may hold at once (default and least 4 × max-size + 3 MiB)")
	maxPerKiosk := fs.Int("max-per-kiosk", headoffice.DefaultMaxPerKiosk, "uploads one kiosk may have in flight (`n`); more get 429")
	minRate := fs.Int64("min-rate", headoffice.DefaultMinRate, "slowest average upload `rate` in bytes/s after a 10 s grace; slower ones get 408")
	linkTTL := fs.Duration("link-ttl", headoffice.DefaultLinkTTL, "download link `lifetime`")
	rootsPath := fs.String("roots", "", "trusted root certificates `file` (PEM) every package's long-term signature must chain to (required)")
	linkKeyPath := fs.String("link-key", "", "download link key `file`, the same for every replica (default DIR/link.key, made if missing)")
	var st storeFlags
	st.register(fs)
	rest, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, headOfficeUsage)
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		return 0
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "headoffice: %v\n", err)
		return 2
	case len(rest) > 0:
		fmt.Fprintf(stderr, "headoffice: unexpected argument %q\n", rest[0])
		return 2
	case *dataDir == "":
		fmt.Fprintln(stderr, "headoffice: --data DIR is required")
		return 2
	case *rootsPath == "":
		fmt.Fprintln(stderr, "headoffice: --roots FILE is required (the national CA's roots, PEM: nothing is trusted by default)")
		return 2
	case *maxSize <= 0 || *linkTTL <= 0 || *maxMemory < 0 || *maxPerKiosk <= 0 || *minRate <= 0:
		fmt.Fprintln(stderr, "headoffice: --max-size, --max-memory, --max-per-kiosk, --min-rate and --link-ttl must be positive")
		return 2
	}
	if err := st.check(); err != nil {
		fmt.Fprintf(stderr, "headoffice: %v\n", err)
		return 2
	}
	roots, err := loadCAFile(*rootsPath)
	if err != nil {
		fmt.Fprintf(stderr, "headoffice: %v\n", err)
		return 2
	}
	if *linkKeyPath == "" {
		*linkKeyPath = filepath.Join(*dataDir, "link.key")
	}
	if err := serveHeadOffice(ctx, headOfficeFlags{
		listen: *listen, dlListen: *dlListen, dataDir: *dataDir,
		maxSize: *maxSize, maxMemory: *maxMemory, maxPerKiosk: *maxPerKiosk, minRate: *minRate,
		linkTTL: *linkTTL, roots: roots, store: st, linkKey: *linkKeyPath,
	}, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "headoffice: %v\n", err)
		return 1
	}
	return 0
}

type headOfficeFlags struct {
	listen, dlListen, dataDir   string
	maxSize, maxMemory, minRate int64
	maxPerKiosk                 int
	linkTTL                     time.Duration
	roots                       *x509.CertPool
	store                       storeFlags
	linkKey                     string // its file
}

func serveHeadOffice(ctx context.Context, f headOfficeFlags, stdout, stderr io.Writer) error {
	pkiDir := filepath.Join(f.dataDir, "pki")
	p, err := pki.LoadOrCreate(pkiDir, time.Now)
	if err != nil {
		return err
	}
	linkKey, err := headoffice.LoadOrCreateLinkKey(f.linkKey)
	if err != nil {
		return err
	}
	st, db, closeStore, err := f.store.openStore(ctx, f.dataDir)
	if err != nil {
		return err
	}
	defer closeStore()
	// Bodies arrive into a spool next to the files they become; with the
	// bodies in PostgreSQL, into DIR/spool rather than a small /tmp.
	spool := ""
	if f.store.kind != "file" {
		spool = filepath.Join(f.dataDir, "spool")
		if err := os.MkdirAll(spool, 0o700); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
	}
	srv, err := headoffice.New(headoffice.Config{
		Storage: st, Index: db, SpoolDir: spool, Log: logging.New(logging.Console(stderr), zerolog.InfoLevel), Now: time.Now,
		MaxSize: f.maxSize, MaxMemory: f.maxMemory, MaxPerKiosk: f.maxPerKiosk, MinRate: f.minRate,
		LinkKey: linkKey, LinkTTL: f.linkTTL, Roots: f.roots, KioskRoots: p.CAPool,
	})
	if err != nil {
		return err
	}
	kiosks, err := db.Kiosks(ctx)
	if err != nil {
		return err
	}
	revoked := 0
	for _, k := range kiosks {
		if k.Revoked() {
			revoked++
		}
	}
	// MaxMemory bounds uploads' live memory; the soft limit keeps their
	// garbage from doubling the heap first. An operator's GOMEMLIMIT wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(srv.MemoryLimit()))
	}

	// Bind both listeners before printing anything, so a port in use is
	// one clear error and printed addresses are real (":0" gets resolved).
	var lc net.ListenConfig
	apiLn, err := lc.Listen(ctx, "tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	dlLn, err := lc.Listen(ctx, "tcp", f.dlListen)
	if err != nil {
		apiLn.Close()
		return fmt.Errorf("download listen: %w", err)
	}
	errLog := log.New(stderr, "headoffice: http: ", 0)
	newServer := func(h http.Handler, readTimeout time.Duration) *http.Server {
		return &http.Server{
			Handler: h,
			// Also bounds the TLS handshake.
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       readTimeout,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10, // a kiosk's or a phone's headers are a few hundred bytes
			ErrorLog:          errLog,
		}
	}
	// No ReadTimeout for uploads: the handler holds each body to its own
	// progress rule (a deadline per read, a minimum rate), which a fixed
	// total would only cut short for a large package on a slow link. No
	// WriteTimeout either: a phone may download a large package slowly.
	api := newServer(srv.Handler(), 0)
	dl := newServer(srv.DownloadHandler(), 5*time.Minute)

	fmt.Fprintf(stdout, "head office: https://%s (client certificate required)\n", apiLn.Addr())
	fmt.Fprintf(stdout, "downloads:   http://%s\n", dlLn.Addr())
	fmt.Fprintf(stdout, "CA certificate: %s\n", p.CAPath())
	fmt.Fprintf(stdout, "store: %s\n", f.store.kind)
	fmt.Fprintf(stdout, "enrolled kiosks: %d in service, %d revoked (signkiosk headoffice enrol KIOSK --data %s)\n",
		len(kiosks)-revoked, revoked, f.dataDir)

	errc := make(chan error, 2)
	go func() { errc <- api.Serve(tls.NewListener(apiLn, srv.TLSConfig(pki.ServerTLS(p)))) }()
	go func() { errc <- dl.Serve(dlLn) }()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	// A fresh context: ctx is done, yet in-flight uploads deserve their
	// answer so the kiosk does not have to retry.
	shCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), headOfficeShutdownGrace)
	defer cancel()
	err = errors.Join(api.Shutdown(shCtx), dl.Shutdown(shCtx))
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serveErr)
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
