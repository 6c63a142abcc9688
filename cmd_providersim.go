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

	"almatel.kz/signkiosk/app/provider/sim"
)

// demoAPIKey is the simulator's default bearer key, also the demo kiosk's.
const demoAPIKey = "demo-kiosk-key"

// runProviderSim serves the provider simulator until ctx is done:
//
//	signkiosk provider-sim [--listen 127.0.0.1:8701] [--api-key KEY]
//
// It speaks plain HTTP, fine on loopback for a simulator; the real provider
// is HTTPS, and the provider client works with either scheme.
func runProviderSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("provider-sim", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line below
	listen := fs.String("listen", "127.0.0.1:8701", "address to serve the simulator on")
	apiKey := fs.String("api-key", demoAPIKey, "bearer key kiosks must send")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "usage: signkiosk provider-sim [--listen 127.0.0.1:8701] [--api-key KEY]")
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
	s, err := sim.New(sim.Config{APIKey: *apiKey, Log: log})
	if err != nil {
		fmt.Fprintf(stderr, "provider-sim: %v\n", err)
		return 2
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "provider-sim: %v\n", err)
		return 1
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute, // frames can be megabytes over a slow link
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: the slow trigger holds answers back on purpose.
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	ev := log.Info().Str("addr", ln.Addr().String())
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
