// Package simtest serves the provider simulator and its simulated national
// CA on one httptest server for tests, as the demo serves them on loopback:
// the CA's public services (TSA, OCSP, CRLs) under /nca, the provider's API
// beside them.
package simtest

import (
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/cades"
	"almatel.kz/signkiosk/app/ncasim"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/tsp"
)

// Server is a running simulator and national CA.
type Server struct {
	URL    string // the provider API's base
	NCAURL string // the national CA's services' base (URL + "/nca")
	Sim    *sim.Simulator
	PKI    *ncasim.PKI
}

// Start serves both for the test's lifetime. cfg.PKI is made here, on
// cfg.Now (time.Now when nil), with the server's URLs in its certificates.
func Start(t testing.TB, cfg sim.Config) *Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{URL: srv.URL, NCAURL: srv.URL + "/nca"}
	p, err := ncasim.New(ncasim.Config{BaseURL: s.NCAURL, Now: now, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	cfg.PKI = p
	sm, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = p.Mount("/nca", sm)
	s.Sim, s.PKI = sm, p
	return s
}

// Roots trusts the simulated national CA's root.
func (s *Server) Roots() *x509.CertPool {
	roots := x509.NewCertPool()
	roots.AddCert(s.PKI.Root())
	return roots
}

// Sealer seals signatures with this CA's TSA and OCSP responder (the
// responder as the signer's certificate names it), checked against Roots.
func (s *Server) Sealer(now func() time.Time) *cades.Sealer {
	hc := &http.Client{Timeout: 30 * time.Second}
	return &cades.Sealer{TSA: &tsp.Client{URL: s.NCAURL + ncasim.PathTSP, HTTP: hc}, HTTP: hc, Roots: s.Roots(), Now: now}
}
