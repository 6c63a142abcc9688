package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/demo"
	"almatel.kz/signkiosk/app/ncasim"
	"almatel.kz/signkiosk/app/provider/sim"
)

// demoAPIKey is the simulator's default bearer key, also the demo kiosk's.
const demoAPIKey = "demo-kiosk-key"

// providerSimUsage is the command's synopsis.
const providerSimUsage = "usage: signkiosk provider-sim [--listen 127.0.0.1:8701] [--api-key KEY] [--nca-url URL] [--nca-root FILE] --kiosk-roots FILE"

// runProviderSim serves the provider simulator, and the simulated national
// CA's public services under /nca on the same listener, until ctx is done:
//
//	signkiosk provider-sim [--listen 127.0.0.1:8701] [--api-key KEY] [--nca-url URL] [--nca-root FILE] --kiosk-roots FILE
//
// --kiosk-roots is head office's kiosk CA (PEM): the simulator takes
// biometric frames only when signed by a kiosk it enrolled.
//
// It speaks plain HTTP, fine on loopback for a simulator; the real provider
// is HTTPS, and the provider client works with either scheme.
func runProviderSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("provider-sim", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line below
	listen := fs.String("listen", "127.0.0.1:8701", "address to serve the simulator on")
	apiKey := fs.String("api-key", demoAPIKey, "bearer key kiosks must send")
	ncaURL := fs.String("nca-url", "", "base URL the national CA's certificates name (default: http://LISTEN/nca, loopback for an unspecified host)")
	ncaRoot := fs.String("nca-root", "", "write the national CA's root certificate (PEM) here, for verifiers to trust")
	kioskRoots := fs.String("kiosk-roots", "", "head office's kiosk CA (PEM): biometric frames are taken only signed by its enrolled kiosks")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, providerSimUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		fmt.Fprintf(stderr, "provider-sim: %v\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "provider-sim: unexpected argument %q\n", fs.Arg(0))
		return 2
	}

	cw := zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.RFC3339, NoColor: !isTerminal(stderr)}
	log := zerolog.New(cw).With().Timestamp().Logger()
	if *apiKey == "" {
		fmt.Fprintln(stderr, "provider-sim: an API key is required")
		return 2
	}
	if *kioskRoots == "" {
		fmt.Fprintln(stderr, "provider-sim: --kiosk-roots is required (head office's kiosk CA, <headoffice data>/pki/sync-ca.pem): no kiosk's biometric frames are taken without it")
		return 2
	}
	kioskPEM, err := os.ReadFile(*kioskRoots)
	if err != nil {
		fmt.Fprintf(stderr, "provider-sim: kiosk roots: %v\n", err)
		return 2
	}
	// Listen first: the national CA's certificates embed its URLs, port included.
	var ln net.Listener
	ln, err = net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "provider-sim: %v\n", err)
		return 1
	}
	defer ln.Close()
	base := *ncaURL
	if base == "" {
		base = "http://" + reachable(ln.Addr()) + demo.NCAPrefix
	}
	pki, err := ncasim.New(ncasim.Config{BaseURL: base, Log: log})
	if err != nil {
		fmt.Fprintf(stderr, "provider-sim: %v\n", err)
		return 2
	}
	if *ncaRoot != "" {
		// The root is public: a verifier anywhere may read it.
		if err := os.WriteFile(*ncaRoot, pki.RootPEM(), 0o644); err != nil {
			fmt.Fprintf(stderr, "provider-sim: %v\n", err)
			return 1
		}
	}
	s, err := sim.New(sim.Config{APIKey: *apiKey, Log: log, PKI: pki})
	if err != nil {
		fmt.Fprintf(stderr, "provider-sim: %v\n", err)
		return 2
	}
	if err := s.TrustKiosks(kioskPEM); err != nil {
		fmt.Fprintf(stderr, "provider-sim: kiosk roots %s: %v\n", *kioskRoots, err)
		return 2
	}
	srv := &http.Server{
		Handler:           pki.Mount(demo.NCAPrefix, s),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute, // frames can be megabytes over a slow link
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: the slow trigger holds answers back on purpose.
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	ev := log.Info().Str("addr", ln.Addr().String()).Str("nca_url", pki.URL(""))
	if *ncaRoot != "" {
		ev = ev.Str("nca_root", *ncaRoot)
	}
	if *apiKey == demoAPIKey {
		ev = ev.Bool("demo_api_key", true)
	}
	ev.Msg("provider simulator listening (look for \"simulated SMS from 1414\" lines)")

	select {
	case err := <-served:
		log.Error().Err(err).Msg("provider simulator stopped")
		return 1
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// A slow-trigger call may still be waiting; cut it off.
		_ = srv.Close()
	}
	log.Info().Msg("provider simulator stopped")
	return 0
}

// reachable is a listener's address as a client dials it: an unspecified
// host (":8701", "0.0.0.0") becomes loopback.
func reachable(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// isTerminal reports whether w is a character device, so colours are only
// sent to a terminal and never into a log file.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
