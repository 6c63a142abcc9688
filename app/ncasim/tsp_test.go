package ncasim_test

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/ncasim"
	"almatel.kz/signkiosk/app/tsp"
)

// The TSA at /tsp stamps with its certificate and the PKI's clock and
// policy; its token verifies against the root alone.
func TestTSP(t *testing.T) {
	e := newEnv(t)
	c := &tsp.Client{URL: e.base + ncasim.PathTSP, HTTP: e.http, Policy: e.pki.TSAPolicy()}
	sig := []byte("a signature value")
	tok, err := c.Stamp(context.Background(), sig)
	must(t, err)
	if !tok.GenTime.Equal(e.clock.Now()) || !tok.Policy.Equal(e.pki.TSAPolicy()) || tok.Accuracy != time.Second ||
		tok.Signer == nil || !tok.Signer.Equal(e.pki.TSACert()) {
		t.Fatalf("token: %v %v %v", tok.GenTime, tok.Policy, tok.Accuracy)
	}
	roots := x509.NewCertPool()
	roots.AddCert(e.pki.Root())
	must(t, tok.Verify(sig, tsp.VerifyOptions{Roots: roots}))

	// openssl reads and verifies the token too (its chain from the token).
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "tok.der"), tok.Raw, 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "sig.bin"), sig, 0o600))
	writePEM(t, dir, "root.pem", e.pki.Root())
	writePEM(t, dir, "issuing.pem", e.pki.Issuing())
	out := openssl(t, dir, "ts", "-verify", "-token_in", "-in", "tok.der", "-data", "sig.bin", "-CAfile", "root.pem",
		"-untrusted", "issuing.pem", "-attime", strconv.FormatInt(e.clock.Now().Unix(), 10))
	if !strings.Contains(out, "Verification: OK") {
		t.Fatalf("openssl ts -verify:\n%s", out)
	}

	// The down trigger: this imprint only.
	sum := sha256.Sum256(sig)
	e.pki.SetTSADown(sum[:])
	if _, err := c.Stamp(context.Background(), sig); !errors.Is(err, tsp.ErrUnavailable) {
		t.Fatalf("down trigger: %v", err)
	}
	if _, err := c.Stamp(context.Background(), []byte("another signature")); err != nil {
		t.Fatalf("another imprint: %v", err)
	}
}
