package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "k.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const good = `
office = "ALM-002"
kiosk_id = "ALM-002-K3"
data_dir = "/var/lib/signkiosk"
[provider]
url = "https://bio.example.kz"
api_key = "k"
timeout = "5s"
[session]
idle = "2m"
[sync]
headoffice_url = "https://ho.example.kz"
ca_cert = "ca.pem"
client_cert = "k.pem"
client_key = "k.key"
`

func TestLoadGood(t *testing.T) {
	c, err := Load(write(t, good))
	if err != nil {
		t.Fatal(err)
	}
	if c.Office != "ALM-002" || c.Provider.Timeout != 5*time.Second || c.Session.Idle != 2*time.Minute || c.Demo {
		t.Fatalf("%+v", c)
	}
	if c.Session.CodeAttempts != 3 || c.Limits().Absolute != 30*time.Minute {
		t.Fatal("defaults not kept")
	}
	if c.Ticket.PublicKey != "/var/lib/signkiosk/ticket-ed25519.pub" {
		t.Fatal(c.Ticket.PublicKey)
	}
}

func TestLoadDemo(t *testing.T) {
	t.Setenv(EnvDataDir, t.TempDir())
	c, err := Load("")
	if err != nil || !c.Demo || c.UI.Fullscreen {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestLoadBad(t *testing.T) {
	cases := map[string]string{
		"unknown key":   "offise = \"x\"\n",
		"bad duration":  good + "resend_cooldown = \"soon\"\n",
		"not toml":      "office = \n",
		"no provider":   "office = \"A\"\n",
		"bad lang":      good + "[ui]\ndefault_lang = \"de\"\n",
		"bad camera":    good + "[camera]\nsource = \"v4l3\"\n",
		"folder no dir": good + "[camera]\nsource = \"folder\"\n",
		"bad window":    strings.Replace(good, "[sync]", "[sync]\nwindow_start = \"25:00\"", 1),
		"bad zone":      strings.Replace(good, "[sync]", "[sync]\ntime_zone = \"Mars/Olympus\"", 1),
		"no mtls":       strings.Replace(good, "client_key = \"k.key\"", "", 1),
		"bad level":     strings.Replace(good, `office = "ALM-002"`, "office = \"A\"\nlog_level = \"loud\"", 1),
	}
	for name, body := range cases {
		_, err := Load(write(t, body))
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error is not one line: %q", name, err)
		}
	}
	if _, err := Load("/no/such/file.toml"); err == nil {
		t.Error("missing file accepted")
	}
}

// The documented example must load: docs and code stay in step.
func TestExampleConfigLoads(t *testing.T) {
	c, err := Load("../../docs/signkiosk.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	d := Default()
	d.Sync.HeadOfficeURL, d.Sync.CACert, d.Sync.ClientCert, d.Sync.ClientKey = c.Sync.HeadOfficeURL, c.Sync.CACert, c.Sync.ClientCert, c.Sync.ClientKey
	if c.Session != d.Session || c.Camera != d.Camera || c.UI != d.UI || c.Ticket.ClockSkew != d.Ticket.ClockSkew ||
		c.Sync != d.Sync || c.Outbox.Retention != d.Outbox.Retention {
		t.Fatalf("example differs from the defaults:\n%+v\n%+v", c, d)
	}
}
