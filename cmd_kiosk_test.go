package main

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/pack"
)

// The demo kiosk end to end: a session signed through the kiosk's parts goes
// into the outbox, is delivered over mTLS to the local head office at once,
// and the done screen's link downloads a package that verifies.
func TestDemoSignDeliverDownload(t *testing.T) {
	cfg, err := config.LoadDemo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	k, err := assemble(cfg, io.Discard, io.Discard, func(p kiosk.Provider) kiosk.Provider {
		return gatedSign{Provider: p, gate: gate}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer k.close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan struct{})
	go func() { k.runner.Run(ctx); close(done) }()
	go k.runSync(ctx, cfg)
	defer func() { cancel(); <-done }()

	drv := sessionDriver{k: k, signGate: gate}
	for _, st := range drv.steps(ctx) {
		if err := drv.do(ctx, st); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	rc := k.runner.State().Receipt
	// Delivered right after signing, not at night.
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := k.outbox.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Delivered == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not delivered: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get(rc.DownloadURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %d %s", resp.StatusCode, body)
	}
	if _, problems := pack.Verify(body, pack.VerifyOptions{}); len(problems) > 0 {
		t.Fatalf("downloaded package: %v", problems)
	}
	// A tampered link is refused.
	resp, err = http.Get(rc.DownloadURL + "0")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("a tampered link downloaded the package")
	}
}
