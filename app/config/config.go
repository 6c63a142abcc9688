// Package config holds the kiosk's configuration: one TOML file, every field
// with a default (see Default and docs/CONFIG.md). No file means demo mode.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	_ "time/tzdata" // time zones resolve even on a kiosk image without tzdata

	"github.com/BurntSushi/toml"

	"almatel.kz/signkiosk/app/keyfile"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/staffpin"
	"almatel.kz/signkiosk/camera/usbid"
)

// EnvConfig names the config file when --config is not given.
const EnvConfig = "SIGNKIOSK_CONFIG"

// Config is the whole configuration.
type Config struct {
	Office   string `toml:"office"`    // office code; tickets for another office are refused
	KioskID  string `toml:"kiosk_id"`  // this kiosk's id in evidence and logs
	DataDir  string `toml:"data_dir"`  // keys, database, logs, signed sessions
	LogLevel string `toml:"log_level"` // debug | info | warn | error

	Ticket   Ticket   `toml:"ticket"`
	Provider Provider `toml:"provider"`
	NCA      NCA      `toml:"nca"`
	Session  Session  `toml:"session"`
	Camera   Camera   `toml:"camera"`
	UI       UI       `toml:"ui"`
	Store    Store    `toml:"store"`
	Outbox   Outbox   `toml:"outbox"`
	Sync     Sync     `toml:"sync"`
	Device   Device   `toml:"device"`
	Staff    Staff    `toml:"staff"`

	// Demo is set when no file was given: in-process simulator, demo keys.
	Demo bool `toml:"-"`
}

// Ticket verifies the staff QR.
type Ticket struct {
	PublicKey string        `toml:"public_key"` // head office's Ed25519 key, PEM; default <data_dir>/ticket-ed25519.pub
	ClockSkew time.Duration `toml:"clock_skew"` // tolerance for a ticket issued "in the future"
}

// Provider is the biometric and EDS service.
type Provider struct {
	URL        string        `toml:"url"`          // https://…; empty only in demo mode
	APIKey     string        `toml:"api_key"`      // the kiosk's bearer key…
	APIKeyFile string        `toml:"api_key_file"` // …or a file holding it
	Timeout    time.Duration `toml:"timeout"`      // per call
}

// NCA is the national certification authority's services that make a
// signature long-term, and the roots every signature is checked against.
type NCA struct {
	TSAURL  string        `toml:"tsa_url"`  // RFC 3161 time-stamp authority, http(s); empty only in demo mode
	OCSPURL string        `toml:"ocsp_url"` // OCSP responder; empty: the one the signer's certificate names (AIA)
	Roots   string        `toml:"roots"`    // trusted root certificates, PEM; required outside demo mode (demo: <data_dir>/demo-nca-roots.pem)
	Timeout time.Duration `toml:"timeout"`  // per call to the TSA or the OCSP responder
}

// Session are the session's limits.
type Session struct {
	CodeAttempts      int           `toml:"code_attempts"`
	CodeResends       int           `toml:"code_resends"`
	ResendCooldown    time.Duration `toml:"resend_cooldown"`
	BiometricAttempts int           `toml:"biometric_attempts"`
	Idle              time.Duration `toml:"idle"`
	IdleWarning       time.Duration `toml:"idle_warning"`
	Absolute          time.Duration `toml:"absolute"`
	DoneHold          time.Duration `toml:"done_hold"`
}

// Camera picks the frame source.
type Camera struct {
	Source    string `toml:"source"`     // v4l2 | synthetic | folder | simulated-v4l2
	Folder    string `toml:"folder"`     // pictures to loop, for source = "folder"
	Device    string `toml:"device"`     // v4l2: a /dev/video* path; empty = the first capture device
	BusInfo   string `toml:"bus_info"`   // v4l2: the USB port the camera is on (`signkiosk camera list`); wins over device
	MaxWidth  int    `toml:"max_width"`  // v4l2: the largest frame asked for
	MaxHeight int    `toml:"max_height"` // v4l2
	FPS       int    `toml:"fps"`

	// Which webcams the kiosk takes (v4l2). Virtual cameras (v4l2loopback,
	// akvcam, …) are refused always. Allow lists USB models as
	// vendor:product ("046d:0825", from `signkiosk camera list`),
	// AllowDrivers drivers ("uvcvideo"); empty takes any camera that is not
	// virtual; with both, a camera must be on both.
	Allow        []string `toml:"allow"`
	AllowDrivers []string `toml:"allow_drivers"`
}

// UI is the window.
type UI struct {
	Fullscreen  bool   `toml:"fullscreen"`
	DefaultLang string `toml:"default_lang"` // kk | ru | en
}

// Store is where signed sessions go.
type Store struct {
	LinkBase string `toml:"link_base"` // download link prefix shown as the done screen's QR
}

// Outbox is the local queue of signed packages.
type Outbox struct {
	KeyFile   string        `toml:"key_file"`  // AES-256 key for payloads at rest; default <data_dir>/outbox.key (0600, made in demo mode)
	Retention time.Duration `toml:"retention"` // delivered payloads are purged after this (metadata kept)
}

// Sync delivers packages to head office.
type Sync struct {
	HeadOfficeURL string        `toml:"headoffice_url"` // https://…; empty in demo mode (a local head office runs on loopback)
	CACert        string        `toml:"ca_cert"`        // PEM of the CA that signed head office's server certificate
	ClientCert    string        `toml:"client_cert"`    // this kiosk's client certificate (PEM) for mTLS
	ClientKey     string        `toml:"client_key"`     // its private key (PEM, 0600)
	WindowStart   string        `toml:"window_start"`   // nightly window start, HH:MM in TimeZone
	WindowEnd     string        `toml:"window_end"`     // nightly window end, HH:MM
	TimeZone      string        `toml:"time_zone"`      // IANA name, e.g. Asia/Almaty
	Concurrency   int           `toml:"concurrency"`    // uploads at once
	MaxAttempts   int           `toml:"max_attempts"`   // then the package is a dead letter for staff to requeue
	MaxBackoff    time.Duration `toml:"max_backoff"`    // cap of the jittered exponential backoff
	CatchUp       time.Duration `toml:"catch_up"`       // at start, sync now if the last success is older than this
	Timeout       time.Duration `toml:"timeout"`        // per upload
}

// Staff guards the staff menu.
type Staff struct {
	PinHash        string        `toml:"pin_hash"`         // from `signkiosk staff-pin`; required outside demo mode (the demo makes and prints a PIN)
	LockAfter      time.Duration `toml:"lock_after"`       // the menu closes after this long without a touch
	MaxPinAttempts int           `toml:"max_pin_attempts"` // wrong PINs in a row before the lockout
	Lockout        time.Duration `toml:"lockout"`          // no PIN is taken for this long after too many wrong ones
}

// Default is the configuration with every default filled in.
func Default() Config {
	l := session.DefaultLimits()
	return Config{
		Office:   "ALM-001",
		KioskID:  "ALM-001-K1",
		LogLevel: "info",
		Ticket:   Ticket{ClockSkew: 2 * time.Minute},
		Provider: Provider{Timeout: 20 * time.Second},
		NCA:      NCA{Timeout: 10 * time.Second},
		Session: Session{
			CodeAttempts: l.CodeAttempts, CodeResends: l.CodeResends, ResendCooldown: l.ResendCooldown,
			BiometricAttempts: l.BiometricAttempts, Idle: l.Idle, IdleWarning: l.IdleWarning,
			Absolute: l.Absolute, DoneHold: l.DoneHold,
		},
		Camera: Camera{Source: "v4l2", MaxWidth: 1280, MaxHeight: 720, FPS: 15},
		UI:     UI{Fullscreen: true, DefaultLang: "kk"},
		Store:  Store{LinkBase: "https://files.almatel.kz/p/"},
		Outbox: Outbox{Retention: 30 * 24 * time.Hour},
		Sync: Sync{WindowStart: "02:00", WindowEnd: "05:00", TimeZone: "Asia/Almaty", Concurrency: 4,
			MaxAttempts: 10, MaxBackoff: time.Hour, CatchUp: 24 * time.Hour, Timeout: 2 * time.Minute},
		Staff: Staff{LockAfter: 60 * time.Second, MaxPinAttempts: 5, Lockout: 5 * time.Minute},
	}
}

// Load reads path over the defaults. An empty path means demo mode. Unknown
// keys and bad values are errors: a typo must not silently fall back.
func Load(path string) (Config, error) {
	c, err := load(path)
	if err != nil {
		// The parser quotes raw text from the file in its messages: keep
		// the refusal one line (and free of terminal control codes).
		return c, Fault(oneLine{err})
	}
	return c, nil
}

func load(path string) (Config, error) {
	c := Default()
	if path == "" {
		c.Demo = true                 // full screen like a kiosk; --windowed for development
		c.Camera.Source = "synthetic" // the demo's stand-in subscriber; a config file picks a real camera
	} else {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		// Parsed once loosely first: a duration written as a bare number
		// must be named as such, before the struct takes it as nanoseconds.
		var doc map[string]any
		md, err := toml.Decode(string(b), &doc)
		if err == nil {
			err = checkDurations(md, doc)
		}
		if err == nil {
			md, err = toml.Decode(string(b), &c)
		}
		if err != nil {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
		if u := md.Undecoded(); len(u) > 0 {
			keys := make([]string, len(u))
			for i, k := range u {
				keys[i] = k.String()
			}
			return c, fmt.Errorf("config %s: unknown key %s", path, strings.Join(keys, ", "))
		}
	}
	if c.DataDir == "" {
		d, err := DefaultDataDir()
		if err != nil {
			return c, err
		}
		c.DataDir = d
	}
	return c.finish(path)
}

// DemoRootsFile is where demo mode keeps the roots of its simulated
// national CA, one per demo run, so packages of earlier runs still verify.
func DemoRootsFile(dataDir string) string { return filepath.Join(dataDir, "demo-nca-roots.pem") }

// LoadDemo is demo mode with its data in dataDir (selftest, tests).
func LoadDemo(dataDir string) (Config, error) {
	c := Default()
	c.Demo, c.UI.Fullscreen, c.DataDir = true, false, dataDir
	c.Camera.Source = "synthetic"
	return c.finish("")
}

// finish fills the paths that derive from the data dir and validates.
func (c Config) finish(path string) (Config, error) {
	if c.Ticket.PublicKey == "" {
		c.Ticket.PublicKey = filepath.Join(c.DataDir, "ticket-ed25519.pub")
	}
	if c.Outbox.KeyFile == "" {
		c.Outbox.KeyFile = filepath.Join(c.DataDir, "outbox.key")
	}
	// `allow = []` is no list at all: any camera that is not virtual.
	if len(c.Camera.Allow) == 0 {
		c.Camera.Allow = nil
	}
	if len(c.Camera.AllowDrivers) == 0 {
		c.Camera.AllowDrivers = nil
	}
	if c.Demo && c.NCA.Roots == "" {
		c.NCA.Roots = DemoRootsFile(c.DataDir)
	}
	if err := c.validate(); err != nil {
		if path == "" {
			return c, Fault(err)
		}
		return c, Fault(fmt.Errorf("config %s: %w", path, err))
	}
	return c, nil
}

func (c Config) validate() error {
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if c.Office == "" {
		bad("office is empty")
	}
	if c.KioskID == "" {
		bad("kiosk_id is empty")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log_level %q is not debug, info, warn or error", c.LogLevel)
	}
	if !c.Demo {
		if !strings.HasPrefix(c.Provider.URL, "https://") && !strings.HasPrefix(c.Provider.URL, "http://") {
			bad("provider.url must be an http(s) URL")
		}
		if c.Provider.APIKey == "" && c.Provider.APIKeyFile == "" {
			bad("provider.api_key or provider.api_key_file is required")
		}
	}
	if c.Provider.Timeout <= 0 {
		bad("provider.timeout must be positive")
	}
	if !c.Demo {
		if !strings.HasPrefix(c.NCA.TSAURL, "https://") && !strings.HasPrefix(c.NCA.TSAURL, "http://") {
			bad("nca.tsa_url must be an http(s) URL")
		}
		if c.NCA.Roots == "" {
			bad("nca.roots is required (the trusted root certificates, PEM)")
		}
	}
	if u := c.NCA.OCSPURL; u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		bad("nca.ocsp_url must be an http(s) URL")
	}
	if c.NCA.Timeout <= 0 {
		bad("nca.timeout must be positive")
	}
	s := c.Session
	if s.CodeAttempts < 1 || s.CodeResends < 0 || s.BiometricAttempts < 1 {
		bad("session attempts must be at least 1 (resends at least 0)")
	}
	if s.ResendCooldown < 0 || s.Idle <= 0 || s.IdleWarning <= 0 || s.Absolute <= 0 || s.DoneHold <= 0 {
		bad("session durations must be positive")
	}
	switch c.Camera.Source {
	case "synthetic", "v4l2", "simulated-v4l2":
	case "folder":
		if c.Camera.Folder == "" {
			bad(`camera.folder is required when camera.source = "folder"`)
		}
	default:
		bad("camera.source %q is not v4l2, synthetic, folder or simulated-v4l2", c.Camera.Source)
	}
	if c.Camera.MaxWidth < 160 || c.Camera.MaxHeight < 120 || c.Camera.MaxWidth > 4096 || c.Camera.MaxHeight > 2160 {
		bad("camera.max_width × max_height must be between 160×120 and 4096×2160")
	}
	if c.Camera.FPS < 1 || c.Camera.FPS > 60 {
		bad("camera.fps must be 1…60")
	}
	for _, a := range c.Camera.Allow {
		if _, err := usbid.Parse(a); err != nil {
			bad("camera.allow: %v", err)
		}
	}
	for _, d := range c.Camera.AllowDrivers {
		if strings.TrimSpace(d) == "" {
			bad("camera.allow_drivers: an empty driver name")
		}
	}
	if c.Ticket.ClockSkew < 0 {
		bad("ticket.clock_skew must not be negative")
	}
	if c.Outbox.Retention <= 0 {
		bad("outbox.retention must be positive")
	}
	if err := c.Sync.validate(c.Demo); err != nil {
		bad("%v", err)
	}
	if err := c.Staff.validate(); err != nil {
		bad("%v", err)
	}
	switch c.UI.DefaultLang {
	case "kk", "ru", "en":
	default:
		bad("ui.default_lang %q is not kk, ru or en", c.UI.DefaultLang)
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// Limits are the session limits as the machine takes them.
func (c Config) Limits() session.Limits {
	l := session.DefaultLimits()
	s := c.Session
	l.CodeAttempts, l.CodeResends, l.ResendCooldown = s.CodeAttempts, s.CodeResends, s.ResendCooldown
	l.BiometricAttempts, l.Idle, l.IdleWarning, l.Absolute, l.DoneHold = s.BiometricAttempts, s.Idle, s.IdleWarning, s.Absolute, s.DoneHold
	return l
}

// APIKey returns the provider key, from the file when one is named (0600
// or tighter).
func (c Config) APIKey() (string, error) {
	if c.Provider.APIKeyFile == "" {
		return c.Provider.APIKey, nil
	}
	// A bearer key is a secret like a private key: refused when others
	// can read it.
	if err := keyfile.CheckPrivate(c.Provider.APIKeyFile, "provider api key"); err != nil {
		return "", Fault(err)
	}
	b, err := os.ReadFile(c.Provider.APIKeyFile)
	if err != nil {
		return "", Fault(fmt.Errorf("provider api key: %w", err))
	}
	return strings.TrimSpace(string(b)), nil
}

func (s Sync) validate(demo bool) error {
	var errs []string
	for _, w := range []struct{ name, v string }{{"window_start", s.WindowStart}, {"window_end", s.WindowEnd}} {
		if _, err := time.Parse("15:04", w.v); err != nil {
			errs = append(errs, fmt.Sprintf("sync.%s %q is not HH:MM", w.name, w.v))
		}
	}
	if _, err := time.LoadLocation(s.TimeZone); err != nil {
		errs = append(errs, fmt.Sprintf("sync.time_zone %q is not a known time zone", s.TimeZone))
	}
	if s.Concurrency < 1 || s.Concurrency > 64 {
		errs = append(errs, "sync.concurrency must be 1…64")
	}
	if s.MaxAttempts < 1 {
		errs = append(errs, "sync.max_attempts must be at least 1")
	}
	if s.MaxBackoff <= 0 || s.CatchUp <= 0 || s.Timeout <= 0 {
		errs = append(errs, "sync durations must be positive")
	}
	if !demo && !strings.HasPrefix(s.HeadOfficeURL, "https://") {
		errs = append(errs, "sync.headoffice_url must be an https URL")
	}
	if !demo && (s.CACert == "" || s.ClientCert == "" || s.ClientKey == "") {
		errs = append(errs, "sync.ca_cert, sync.client_cert and sync.client_key are required (mTLS)")
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// validate checks the staff section's values. A missing pin_hash is not an
// error here: the tools (sync, outbox) share the file and need no PIN; the
// kiosk asks for it with PIN.
func (s Staff) validate() error {
	var errs []string
	if s.PinHash != "" {
		if _, err := staffpin.Parse(s.PinHash); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if s.LockAfter <= 0 || s.Lockout <= 0 {
		errs = append(errs, "staff durations must be positive")
	}
	if s.MaxPinAttempts < 1 {
		errs = append(errs, "staff.max_pin_attempts must be at least 1")
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// ErrNoStaffPIN is the kiosk's refusal to start without a staff PIN.
var ErrNoStaffPIN = Fault(errors.New("config: staff.pin_hash is required outside demo mode (make one with `signkiosk staff-pin`)"))

// PIN is the parsed staff PIN hash; outside demo mode one is required.
// In demo mode with none configured it returns ok = false: the caller makes
// (and prints) a PIN of its own.
func (s Staff) PIN(demo bool) (h staffpin.Hashed, ok bool, err error) {
	if s.PinHash == "" {
		if demo {
			return h, false, nil
		}
		return h, false, ErrNoStaffPIN
	}
	h, err = staffpin.Parse(s.PinHash)
	if err != nil {
		return h, false, Fault(fmt.Errorf("config: %w", err))
	}
	return h, true, nil
}
