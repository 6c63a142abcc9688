// Package sim is an in-memory simulator of the biometric and cloud-EDS
// provider's API, for demos and tests. It speaks the same JSON as the real
// provider (see package provider), certifies subscribers with the simulated
// national CA (package ncasim), prints the "SMS" code to its log, and fails
// on purpose for the trigger values in TRIGGERS.md.
package sim

import (
	"context"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/ncasim"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/camera/face"
)

// Config configures a Simulator; zero fields take the defaults noted.
type Config struct {
	APIKey            string           // required: the bearer key kiosks send
	Log               zerolog.Logger   // where the simulated SMS and events go
	Now               func() time.Time // clock; time.Now
	CodeAttempts      int              // wrong codes before a resend is needed; 3
	BiometricAttempts int              // biometric attempts per session; 5
	SessionTTL        time.Duration    // a session's whole life; 30m
	CodeTTL           time.Duration    // an SMS code's life; 5m
	ResendCooldown    time.Duration    // between SMS codes; 60s
	MaxResends        int              // resends per session; 2
	SlowDelay         time.Duration    // the slow trigger's delay; 25s
	// Wait is how the slow trigger waits SlowDelay (or until the client
	// gives up: ctx ends); a real timer when nil. Tests record the wait.
	Wait func(ctx context.Context, d time.Duration) error
	// PKI is the national CA that certifies subscribers; nil: New makes
	// one on Now with PKIBaseURL (empty: certificates point nowhere usable).
	PKI        *ncasim.PKI
	PKIBaseURL string
	// KioskRoots are the kiosk CAs whose device certificates may sign
	// biometric submissions (head office's kiosk CA); TrustKiosks adds
	// more later. None: every submission is refused device_not_enrolled.
	KioskRoots *x509.CertPool
	// ChallengeTTL is a liveness challenge's life; 1m.
	ChallengeTTL time.Duration
	// ClockSkew is how far a frame's capture time may lie outside its
	// challenge's life, for the kiosk's clock; 1m.
	ClockSkew time.Duration
	// Moves chooses a challenge's moves; random (1–3 distinct) when nil.
	// Tests fix the sequence with it.
	Moves func() []string
}

func (c *Config) setDefaults() error {
	if c.APIKey == "" {
		return errors.New("sim: an API key is required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Wait == nil {
		c.Wait = sleep
	}
	for _, d := range []struct {
		v   *int
		def int
	}{{&c.CodeAttempts, 3}, {&c.BiometricAttempts, 5}, {&c.MaxResends, 2}} {
		if *d.v < 0 {
			return fmt.Errorf("sim: negative limit %d", *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&c.SessionTTL, 30 * time.Minute}, {&c.CodeTTL, 5 * time.Minute}, {&c.ResendCooldown, time.Minute}, {&c.SlowDelay, 25 * time.Second},
		{&c.ChallengeTTL, time.Minute}, {&c.ClockSkew, time.Minute}} {
		if *d.v < 0 {
			return fmt.Errorf("sim: negative duration %v", *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	return nil
}

// Simulator is the provider simulator, an http.Handler. Safe for concurrent use.
type Simulator struct {
	cfg   Config
	log   zerolog.Logger
	mux   *http.ServeMux
	pki   *ncasim.PKI
	chain string // the certificate answer's chain: issuing CA, root (PEM)
	photo []byte // the made-up document photo, JPEG
	faces *face.Analyzer

	mu         sync.Mutex
	sessions   map[string]*session
	kioskRoots *x509.CertPool
	seen       frameRegistry // every frame judged, across sessions
}

// New makes a simulator, and a fresh national CA unless cfg.PKI is given.
func New(cfg Config) (*Simulator, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	pki := cfg.PKI
	if pki == nil {
		var err error
		if pki, err = ncasim.New(ncasim.Config{BaseURL: cfg.PKIBaseURL, Now: cfg.Now, Log: cfg.Log}); err != nil {
			return nil, fmt.Errorf("sim: %w", err)
		}
	}
	photo, err := documentPhoto()
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	// One analyzer for every request: it is safe for concurrent use, and
	// parsing the cascades per attempt would be work done again each time.
	faces, err := face.NewAnalyzer(face.DefaultConfig())
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	s := &Simulator{
		cfg:      cfg,
		log:      cfg.Log.With().Str("component", "provider-sim").Logger(),
		pki:      pki,
		chain:    string(pki.ChainPEM()) + string(pki.RootPEM()),
		photo:    photo,
		faces:    faces,
		sessions: make(map[string]*session),
	}
	s.kioskRoots = x509.NewCertPool()
	if cfg.KioskRoots != nil {
		s.kioskRoots = cfg.KioskRoots.Clone()
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/sessions", s.handleCreate)
	s.mux.HandleFunc("POST /v1/sessions/{id}/egov-code", s.handleCode)
	s.mux.HandleFunc("POST /v1/sessions/{id}/egov-code/resend", s.handleResend)
	s.mux.HandleFunc("POST /v1/sessions/{id}/consents", s.handleConsent)
	s.mux.HandleFunc("POST /v1/sessions/{id}/biometrics/challenge", s.handleChallenge)
	s.mux.HandleFunc("POST /v1/sessions/{id}/biometrics", s.handleBiometrics)
	s.mux.HandleFunc("POST /v1/sessions/{id}/certificate", s.handleCertificate)
	s.mux.HandleFunc("POST /v1/sessions/{id}/sign", s.handleSign)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, provider.CodeNotFound, "no such endpoint", nil)
	})
	return s, nil
}

// ServeHTTP checks the bearer key, then routes the call.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		writeError(w, http.StatusUnauthorized, provider.CodeUnauthorized, "missing or wrong API key", nil)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Simulator) authorized(r *http.Request) bool {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(prefix) || h[:len(prefix)] != prefix {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(h[len(prefix):]), []byte(s.cfg.APIKey)) == 1
}

// PKI is the national CA the simulator certifies subscribers with.
func (s *Simulator) PKI() *ncasim.PKI { return s.pki }

// LastCode returns the SMS code last sent for the session, for tests and the
// in-process demo (which shows it instead of a phone).
func (s *Simulator) LastCode(sessionID string) (string, bool) {
	ss := s.get(sessionID)
	if ss == nil {
		return "", false
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.code, ss.code != ""
}

// sleep waits d in real time, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
