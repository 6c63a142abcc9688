package main

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"almatel.kz/signkiosk/app/pack"
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
	// Enrolled: the device certificate for the kiosk's own device key.
	deviceKey, err := pack.LoadOrCreateDeviceKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	deviceCert, err := p.DeviceCert(filepath.Join(dir, "pki"), "ALM-001-K1", deviceKey.Public().(ed25519.PublicKey))
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
[device]
cert = %q
`, dir, p.CAPath(), p.CAPath(), cert, key, deviceCert)
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
		"device certificate missing": {func(t *testing.T, dir string) {
			os.Remove(pki.DeviceCertPath(filepath.Join(dir, "pki"), "ALM-001-K1"))
		}, "device.cert: device certificate: "},
		"device certificate for another key": {func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, pack.DeviceKeyFile)) // the kiosk makes itself a new key
			os.Remove(filepath.Join(dir, pack.DevicePubFile))
		}, "certifies another key than this kiosk's device key"},
		"device certificate for another kiosk": {func(t *testing.T, dir string) {
			spoilConfig(t, dir, `kiosk_id = "ALM-001-K2"`+"\n")
		}, `it is kiosk "ALM-001-K1"'s, not kiosk "ALM-001-K2"'s`},
		"no device certificate": {func(t *testing.T, dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, "kiosk.toml"))
			os.WriteFile(filepath.Join(dir, "kiosk.toml"), []byte(strings.Replace(string(b), "[device]\ncert", "[device]\n# cert", 1)), 0o600)
		}, "device.cert is required outside demo mode"},
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

// spoilConfig puts line at the top of the kiosk's config (before any table).
func spoilConfig(t *testing.T, dir, line string) {
	t.Helper()
	p := filepath.Join(dir, "kiosk.toml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append([]byte(line), b...), 0o600); err != nil {
		t.Fatal(err)
	}
}
