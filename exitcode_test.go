package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/sync/outbox"
	"almatel.kz/signkiosk/sync/pki"
)

// kioskConfig writes a production (non-demo) config whose files are all in
// place: an outbox key, the ticket public key and a demo PKI for mTLS.
// It returns the config path and the data dir.
func kioskConfig(t *testing.T) (cfgPath, dir string) {
	t.Helper()
	dir = t.TempDir()
	if _, err := outbox.LoadOrCreateKey(filepath.Join(dir, "outbox.key"), true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ticket.LoadOrCreateKeyPair(dir); err != nil {
		t.Fatal(err)
	}
	p, err := pki.LoadOrCreate(filepath.Join(dir, "pki"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := p.ClientCert(filepath.Join(dir, "pki"), "ALM-001-K1")
	if err != nil {
		t.Fatal(err)
	}
	cfgPath = filepath.Join(dir, "kiosk.toml")
	body := fmt.Sprintf(`data_dir = %q
[provider]
url = "https://127.0.0.1:1"
api_key = "k"
[nca]
tsa_url = "http://127.0.0.1:1/tsp"
roots = %q
[camera]
source = "synthetic"
[sync]
headoffice_url = "https://127.0.0.1:1"
ca_cert = %q
client_cert = %q
client_key = %q
`, dir, p.CAPath(), p.CAPath(), cert, key)
	if err := os.WriteFile(cfgPath, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dir
}

// A file the config names that is missing or open to others is a config
// fault: the kiosk stops with one line and exit 2 (README: "2 bad usage or
// config"), before any window.
func TestKioskConfigFaultsExit2(t *testing.T) {
	for name, tc := range map[string]struct {
		spoil func(t *testing.T, dir string)
		want  string
	}{
		"outbox key missing": {func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "outbox.key")) }, "outbox key"},
		"outbox key 0644":    {func(t *testing.T, dir string) { os.Chmod(filepath.Join(dir, "outbox.key"), 0o644) }, "mode 0644"},
		"ticket key missing": {func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, ticket.PublicKeyFile)) }, "ticket public key"},
		"client key 0640": {func(t *testing.T, dir string) {
			os.Chmod(filepath.Join(dir, "pki", "kiosk-ALM-001-K1.key"), 0o640)
		}, "mTLS client key"},
		"no staff pin": {func(*testing.T, string) {}, "staff.pin_hash is required"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, dir := kioskConfig(t)
			tc.spoil(t, dir)
			code, _, errs := runArgs(t, "--config", cfg)
			if code != 2 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and one line with %q", code, errs, tc.want)
			}
		})
	}
}
