package main

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"almatel.kz/signkiosk/app/cades"
	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/keyfile"
	"almatel.kz/signkiosk/app/tsp"
)

// newSealer makes the part that turns each provider signature long-term
// with the national CA's services, checking the result against roots.
func newSealer(tsaURL, ocspURL string, roots *x509.CertPool, timeout time.Duration) *cades.Sealer {
	hc := &http.Client{Timeout: timeout}
	return &cades.Sealer{TSA: &tsp.Client{URL: tsaURL, HTTP: hc}, OCSPURL: ocspURL, HTTP: hc, Roots: roots, Now: time.Now}
}

// loadRoots reads the trusted roots (PEM); a missing or empty file is a
// config fault: nothing may be signed that cannot be checked.
func loadRoots(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, config.Fault(fmt.Errorf("nca.roots: %w", err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, config.Fault(fmt.Errorf("nca.roots %s: no PEM certificates", path))
	}
	return pool, nil
}

// keepDemoRoot adds this demo run's simulated national CA root to the demo
// roots bundle, so packages signed in earlier runs still verify there.
func keepDemoRoot(path string, rootPEM []byte) error {
	if len(rootPEM) == 0 {
		return errors.New("demo roots: empty root")
	}
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("demo roots: %w", err)
	}
	if bytes.Contains(old, rootPEM) {
		return nil
	}
	if err := keyfile.WriteFile(path, append(old, rootPEM...), 0o600); err != nil {
		return fmt.Errorf("demo roots: %w", err)
	}
	return nil
}
