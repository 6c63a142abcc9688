package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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
[nca]
tsa_url = "http://tsp.example.kz"
roots = "nca-roots.pem"
[session]
idle = "2m"
[sync]
headoffice_url = "https://ho.example.kz"
ca_cert = "ca.pem"
client_cert = "k.pem"
client_key = "k.key"
[staff]
pin_hash = "pbkdf2-sha256$10000$c2FsdHNhbHRzYWx0$Jv8lcDWd5F7NzOOl0M1Z9h4y3T9rJw8bCv1qJzq8pE0"
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
	for _, src := range []string{"v4l2", "synthetic", "simulated-v4l2"} {
		if c, err := Load(write(t, good+"[camera]\nsource = \""+src+"\"\n")); err != nil || c.Camera.Source != src {
			t.Errorf("camera.source %q: %v", src, err)
		}
	}
}

func TestLoadDemo(t *testing.T) {
	t.Setenv(EnvDataDir, t.TempDir())
	c, err := Load("")
	if err != nil || !c.Demo || !c.UI.Fullscreen { // demo mode is full screen like a kiosk (--windowed)
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
		"bad pin hash":  strings.Replace(good, "pbkdf2-sha256$10000$", "pbkdf2-sha256$x$", 1),
		"plain pin":     strings.Replace(good, `pin_hash = "pbkdf2`, `pin_hash = "1234" # pbkdf2`, 1),
		"zero lock":     good + "lock_after = \"0s\"\n",
		"no attempts":   good + "max_pin_attempts = 0\n",
		"no tsa":        strings.Replace(good, `tsa_url = "http://tsp.example.kz"`, "", 1),
		"no nca roots":  strings.Replace(good, `roots = "nca-roots.pem"`, "", 1),
		"bad ocsp url":  strings.Replace(good, "[nca]", "[nca]\nocsp_url = \"ocsp.example.kz\"", 1),
		"zero nca time": strings.Replace(good, "[nca]", "[nca]\ntimeout = \"0s\"", 1),
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
	if c.Session != d.Session || !reflect.DeepEqual(c.Camera, d.Camera) || c.UI != d.UI || c.Ticket.ClockSkew != d.Ticket.ClockSkew ||
		c.Sync != d.Sync || c.Outbox.Retention != d.Outbox.Retention || c.NCA.Timeout != d.NCA.Timeout ||
		c.Staff.LockAfter != d.Staff.LockAfter || c.Staff.MaxPinAttempts != d.Staff.MaxPinAttempts || c.Staff.Lockout != d.Staff.Lockout {
		t.Fatalf("example differs from the defaults:\n%+v\n%+v", c, d)
	}
}

func TestStaffPIN(t *testing.T) {
	c, err := Load(write(t, good))
	if err != nil {
		t.Fatal(err)
	}
	if c.Staff.LockAfter != time.Minute || c.Staff.MaxPinAttempts != 5 || c.Staff.Lockout != 5*time.Minute {
		t.Fatalf("staff defaults: %+v", c.Staff)
	}
	if _, ok, err := c.Staff.PIN(false); !ok || err != nil {
		t.Fatalf("configured hash: ok=%v err=%v", ok, err)
	}
	// The tools share the file and need no PIN; the kiosk refuses to start.
	c, err = Load(write(t, strings.Replace(good, "pin_hash", "# pin_hash", 1)))
	if err != nil {
		t.Fatalf("no pin_hash refused by Load: %v", err)
	}
	if _, _, err := c.Staff.PIN(c.Demo); !errors.Is(err, ErrNoStaffPIN) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("no pin_hash outside demo: %v", err)
	}
	if _, ok, err := (Staff{}).PIN(true); ok || err != nil {
		t.Fatalf("demo without a hash: ok=%v err=%v", ok, err)
	}
}

// A duration without a unit is refused, naming the key: TOML would take a
// bare 120 as 120 ns (sync.timeout = 120 then fails every upload).
func TestDurationNeedsUnit(t *testing.T) {
	cases := map[string]string{
		"sync.timeout = 120":     strings.Replace(good, "[sync]", "[sync]\ntimeout = 120", 1),
		"session.idle = 90":      strings.Replace(good, `idle = "2m"`, "idle = 90", 1),
		"provider.timeout = 1.5": strings.Replace(good, `timeout = "5s"`, "timeout = 1.5", 1),
		"ticket.clock_skew = 0":  good + "[ticket]\nclock_skew = 0\n",
	}
	for want, body := range cases {
		_, err := Load(write(t, body))
		if err == nil || !strings.Contains(err.Error(), want+" has no unit") || !strings.Contains(err.Error(), `"120s"`) {
			t.Errorf("%s: %v", want, err)
		}
	}
	// Not a number and not a string either: still named.
	if _, err := Load(write(t, good+"[outbox]\nretention = true\n")); err == nil || !strings.Contains(err.Error(), "outbox.retention") {
		t.Errorf("bool duration: %v", err)
	}
	if _, err := Load(write(t, good+"[ticket]\nclock_skew = \"-1m\"\n")); err == nil || !strings.Contains(err.Error(), "ticket.clock_skew") {
		t.Errorf("negative clock skew: %v", err)
	}
}

// Every time.Duration field is covered, including ones added later: the
// check finds them by reflection, and a bare number fails for each.
func TestEveryDurationKeyChecked(t *testing.T) {
	keys := durationKeys()
	for _, k := range []string{"ticket.clock_skew", "provider.timeout", "session.idle", "session.done_hold",
		"outbox.retention", "sync.timeout", "sync.catch_up", "staff.lockout"} {
		if !slices.Contains(keys, k) {
			t.Errorf("%s not among the duration keys %v", k, keys)
		}
	}
	if n := countDurations(reflect.TypeFor[Config]()); len(keys) != n {
		t.Errorf("%d duration keys for %d time.Duration fields", len(keys), n)
	}
	// good without its durations, so each can be added once.
	base := strings.NewReplacer("timeout = \"5s\"\n", "", "idle = \"2m\"\n", "").Replace(good)
	for _, k := range keys {
		section, name, _ := strings.Cut(k, ".")
		body := strings.Replace(base, "["+section+"]", "["+section+"]\n"+name+" = 7", 1)
		if !strings.Contains(base, "["+section+"]") {
			body = base + "[" + section + "]\n" + name + " = 7\n"
		}
		if _, err := Load(write(t, body)); err == nil || !strings.Contains(err.Error(), k+" = 7 has no unit") {
			t.Errorf("%s = 7: %v", k, err)
		}
	}
}

func countDurations(t reflect.Type) int {
	n := 0
	for i := range t.NumField() {
		f := t.Field(i)
		switch {
		case f.Type == reflect.TypeFor[time.Duration]():
			n++
		case f.Type.Kind() == reflect.Struct:
			n += countDurations(f.Type)
		}
	}
	return n
}

// Every refusal of Load is a config fault: the commands exit 2 for it.
func TestLoadErrorsAreFaults(t *testing.T) {
	for _, body := range []string{"offise = 1\n", "office = \n", good + "[ui]\ndefault_lang = \"de\"\n", good + "[sync]\ntimeout = 120\n"} {
		if _, err := Load(write(t, body)); !errors.Is(err, ErrFault) {
			t.Errorf("%q: %v is not a config fault", body, err)
		}
	}
	if _, err := Load("/no/such/file.toml"); !errors.Is(err, ErrFault) {
		t.Errorf("missing file: %v is not a config fault", err)
	}
	if err := Fault(nil); err != nil {
		t.Errorf("Fault(nil) = %v", err)
	}
}

// The provider's bearer key in a file is a secret like a private key: a
// file others can read is refused (a config fault), with the fix.
func TestAPIKeyFileMustBePrivate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "provider.key")
	os.WriteFile(p, []byte("s3cret\n"), 0o600)
	c := Config{Provider: Provider{APIKeyFile: p}}
	if k, err := c.APIKey(); err != nil || k != "s3cret" {
		t.Fatalf("0600: %q %v", k, err)
	}
	os.Chmod(p, 0o644)
	_, err := c.APIKey()
	want := "provider api key " + p + ": mode 0644 lets others read it; chmod 600 it"
	if !errors.Is(err, ErrFault) || err.Error() != want {
		t.Fatalf("0644: %v, want %q", err, want)
	}
}
