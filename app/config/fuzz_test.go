package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadConfig: whatever the file holds, Load returns (never panics) and
// a refusal is one line, as the kiosk prints it.
func FuzzLoadConfig(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("office = \n"))
	f.Add([]byte("[sync]\ntimeout = 120\n"))
	f.Add([]byte("[session]\nidle = 1e9\nabsolute = \"-5m\"\n"))
	f.Add([]byte("[camera]\nsource = \"folder\"\nmax_width = 99999999999\n"))
	f.Add([]byte("[camera]\nallow = [\"046d:0825\", \"zz:\\u0007\"]\nallow_drivers = [\"uvcvideo\", \" \"]\n"))
	f.Add([]byte("\"a\\nb\" = 1\n[[staff]]\n"))
	f.Add([]byte("[ticket]\nclock_skew = 07:32:00\n"))
	if b, err := os.ReadFile("../../docs/signkiosk.example.toml"); err == nil {
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body []byte) {
		p := filepath.Join(dir, "fuzz.toml")
		if err := os.WriteFile(p, body, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(p); err != nil && strings.ContainsAny(err.Error(), "\r\n") {
			t.Fatalf("error is not one line: %q", err)
		}
	})
}
