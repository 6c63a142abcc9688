package main

import (
	"context"
	"io"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/kiosk"
)

// runDemoKiosk assembles the demo kiosk from cfg with its sign calls held
// for the driver, runs it (and its sync, when withSync) for at most
// timeout, and stops and closes it when the test ends.
func runDemoKiosk(t *testing.T, cfg config.Config, timeout time.Duration, withSync bool) (*kioskParts, sessionDriver, context.Context) {
	t.Helper()
	gate := make(chan struct{})
	k, err := assemble(cfg, io.Discard, io.Discard, portWraps{Provider: func(p kiosk.Provider) kiosk.Provider {
		return gatedSign{Provider: p, gate: gate}
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.close)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	done := make(chan struct{})
	go func() { k.runner.Run(ctx); close(done) }()
	if withSync {
		go k.runSync(ctx, cfg)
	}
	t.Cleanup(func() { cancel(); <-done })
	return k, sessionDriver{k: k, signGate: gate}, ctx
}
