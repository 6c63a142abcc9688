package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"almatel.kz/signkiosk/app/config"
)

func runArgs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDispatch(t *testing.T) {
	if code, out, _ := runArgs(t, "version"); code != 0 || !strings.HasPrefix(out, "signkiosk ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, out, _ := runArgs(t, "help"); code != 0 || !strings.Contains(out, "ticket new") {
		t.Fatalf("help: %d", code)
	}
	if code, _, errs := runArgs(t, "frobnicate"); code != 2 || !strings.Contains(errs, "unknown command") {
		t.Fatalf("unknown: %d %q", code, errs)
	}
}

// A bad config stops the kiosk with one line and exit 2, before any window.
func TestKioskBadConfig(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.toml")
	os.WriteFile(p, []byte("office = \"ALM-001\"\n[camera]\nsource = \"webcam9\"\n"), 0o600)
	code, _, errs := runArgs(t, "--config", p)
	if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "camera.source") {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
	code, _, errs = runArgs(t, "--config", filepath.Join(t.TempDir(), "missing.toml"))
	if code != 2 || !strings.Contains(errs, "missing.toml") {
		t.Fatalf("missing file: %d %q", code, errs)
	}
}

func TestProviderSimBadFlags(t *testing.T) {
	if code, _, errs := runArgs(t, "provider-sim", "--listen"); code != 2 || errs == "" {
		t.Fatalf("code %d %q", code, errs)
	}
}

// assemble in demo mode, without a window: the demo ticket is printed and
// the kiosk's parts come up and shut down cleanly.
func TestAssembleDemo(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SIGNKIOSK_DATA", dir)
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	k, err := assemble(cfg, &out, io.Discard, portWraps{})
	if err != nil {
		t.Fatal(err)
	}
	defer k.close()
	if !strings.Contains(out.String(), "demo ticket") || !strings.Contains(out.String(), "AKT1:") {
		t.Fatalf("no demo ticket printed: %q", out.String())
	}
	for _, f := range []string{"demo-ticket.png", "kiosk.db", "ticket-ed25519.key", "logs/signkiosk.log"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("demo did not create %s: %v", f, err)
		}
	}
	// The printed QR scans as a valid ticket with the demo key.
	var scanOut, scanErr bytes.Buffer
	if code := runScan(context.Background(), []string{filepath.Join(dir, "demo-ticket.png"), "--no-record"}, &scanOut, &scanErr); code != 0 {
		t.Fatalf("demo ticket QR does not scan: %s", scanErr.String())
	}
}

// A damaged kiosk database refuses to start, saying so.
func TestAssembleCorruptDatabase(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SIGNKIOSK_DATA", dir)
	junk := make([]byte, 8192)
	copy(junk, "not sqlite")
	os.WriteFile(filepath.Join(dir, "kiosk.db"), junk, 0o600)
	cfg, _ := config.Load("")
	_, err := assemble(cfg, io.Discard, io.Discard, portWraps{})
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("err = %v", err)
	}
}
