package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/logging"
	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/sync/outbox"
	"almatel.kz/signkiosk/sync/pki"
	"almatel.kz/signkiosk/sync/uploader"
)

const syncUsage = `usage: signkiosk sync [--config FILE]

Deliver every due package in the outbox to head office now, instead of
waiting for the nightly window. Prints what was delivered; exits 1 when a
package failed (it is retried later) or became a dead letter, 2 for a bad
config (a missing outbox key, an unusable or open mTLS key).

`

// errDemoSync is the one line demo mode gets: its head office exists only
// while the kiosk runs.
var errDemoSync = errors.New("sync: demo mode has no head office configured; the kiosk syncs to its local head office while it runs")

// runSync handles "signkiosk sync".
func runSync(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", os.Getenv(config.EnvConfig), "config `file` (TOML)")
	fs.Usage = func() { fmt.Fprint(stderr, syncUsage); printFlags(fs, stderr) }
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(rest) != 0 {
		fs.Usage()
		return 2
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "sync: %v\n", err)
		return 2
	}
	if cfg.Demo || cfg.Sync.HeadOfficeURL == "" {
		fmt.Fprintln(stderr, errDemoSync)
		return 1
	}
	rep, err := syncNow(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitCode(err)
	}
	fmt.Fprintf(stdout, "sync: delivered %d (%s), failed %d, dead %d in %s\n",
		rep.Delivered, byteSize(rep.Bytes), rep.Failed, rep.Dead, rep.Took.Round(time.Millisecond))
	if rep.Failed > 0 || rep.Dead > 0 {
		fmt.Fprintln(stderr, "sync: some packages were not delivered; see 'signkiosk outbox' and the log")
		return 1
	}
	return 0
}

// syncNow wires the outbox, the mTLS client and the uploader, and runs once.
func syncNow(ctx context.Context, cfg config.Config) (uploader.Report, error) {
	var none uploader.Report
	// A production kiosk never makes a key here: a new key would strand
	// every payload already queued.
	key, err := outbox.LoadOrCreateKey(cfg.Outbox.KeyFile, false)
	if err != nil {
		return none, config.Fault(fmt.Errorf("sync: %w", err))
	}
	// The CA, certificate and key are files the config names.
	tlsCfg, err := pki.ClientTLS(cfg.Sync.CACert, cfg.Sync.ClientCert, cfg.Sync.ClientKey)
	if err != nil {
		return none, config.Fault(fmt.Errorf("sync: %w", err))
	}
	db, err := store.Open(ctx, filepath.Join(cfg.DataDir, "kiosk.db"), dbOptions(cfg)...)
	if err != nil {
		return none, fmt.Errorf("sync: %w", err)
	}
	defer db.Close()
	ob, err := outbox.Open(ctx, db, key, nil)
	if err != nil {
		return none, fmt.Errorf("sync: %w", err)
	}
	level, _ := zerolog.ParseLevel(cfg.LogLevel)
	log, logFile, err := logging.Open(filepath.Join(cfg.DataDir, "logs"), nil, level)
	if err != nil {
		return none, fmt.Errorf("sync: %w", err)
	}
	defer logFile.Close()
	u := uploader.New(uploader.Config{
		Queue:       uploader.FromOutbox(ob),
		Client:      uploader.NewClient(tlsCfg, cfg.Sync.Concurrency),
		BaseURL:     cfg.Sync.HeadOfficeURL,
		Concurrency: cfg.Sync.Concurrency,
		MaxAttempts: cfg.Sync.MaxAttempts,
		MaxBackoff:  cfg.Sync.MaxBackoff,
		Timeout:     cfg.Sync.Timeout,
		Log:         log.With().Str("component", "sync").Logger(),
	})
	return u.RunOnce(ctx)
}

// byteSize is n in a unit a person reads at a glance.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}
