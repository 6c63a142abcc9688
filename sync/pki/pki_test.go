package pki

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func fixedNow() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) }

func TestLoadOrCreateFilesAndReload(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	p, err := LoadOrCreate(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := p.ClientCert(dir, "ALM-001-K1")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{CAKeyFile, ServerKeyFile, filepath.Base(keyPEM)} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	if filepath.Base(certPEM) != "kiosk-ALM-001-K1.pem" {
		t.Errorf("cert path %s", certPEM)
	}
	again, err := LoadOrCreate(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if !again.CA.Equal(p.CA) {
		t.Error("second LoadOrCreate made a new CA")
	}
	c2, _, err := again.ClientCert(dir, "ALM-001-K1")
	if err != nil || c2 != certPEM {
		t.Errorf("ClientCert again: %s, %v", c2, err)
	}
	if _, _, err := p.ClientCert(dir, "../evil"); err == nil {
		t.Error("ClientCert accepted a path as kiosk id")
	}
}

func TestLoadOrCreateUsesClock(t *testing.T) {
	p, err := LoadOrCreate(t.TempDir(), fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if !p.CA.NotBefore.Equal(fixedNow().Add(-backdate)) {
		t.Errorf("CA NotBefore %v", p.CA.NotBefore)
	}
}

func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	p, err := LoadOrCreate(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.TLS.VerifiedChains[0][0].Subject.CommonName)
	}))
	srv.TLS = ServerTLS(p)
	srv.StartTLS()
	defer srv.Close()

	get := func(cfg *tls.Config) (string, error) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
		defer c.CloseIdleConnections()
		resp, err := c.Get(srv.URL)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}

	certPEM, keyPEM, err := p.ClientCert(dir, "ALM-001-K1")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ClientTLS(p.CAPath(), certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if cn, err := get(cfg); err != nil || cn != "ALM-001-K1" {
		t.Fatalf("with client cert: %q, %v", cn, err)
	}

	noCert := cfg.Clone()
	noCert.Certificates = nil
	if _, err := get(noCert); err == nil {
		t.Error("no client certificate: request succeeded")
	}

	otherDir := t.TempDir()
	other, err := LoadOrCreate(otherDir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	oc, ok, err := other.ClientCert(otherDir, "ALM-001-K1")
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := ClientTLS(p.CAPath(), oc, ok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get(foreign); err == nil {
		t.Error("client certificate from another CA: request succeeded")
	}
}

func TestClientTLSBadFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := ClientTLS(filepath.Join(dir, "none.pem"), "a", "b"); err == nil {
		t.Error("missing CA accepted")
	}
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ClientTLS(junk, "a", "b"); err == nil {
		t.Error("junk CA accepted")
	}
}

// A CA made anew (its key was lost) must not leave leaves from the old one
// in place: they would fail every handshake.
func TestLeavesReissuedForNewCA(t *testing.T) {
	dir := t.TempDir()
	p, err := LoadOrCreate(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	cert1, _, err := p.ClientCert(dir, "K1")
	if err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(cert1)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, CAKeyFile)); err != nil {
		t.Fatal(err)
	}
	p2, err := LoadOrCreate(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if p2.CA.Equal(p.CA) {
		t.Fatal("CA not recreated")
	}
	if _, err := p2.Server.Leaf.Verify(x509.VerifyOptions{Roots: p2.CAPool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("server certificate not from the new CA: %v", err)
	}
	cert2, _, err := p2.ClientCert(dir, "K1")
	if err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(cert2); bytes.Equal(now, old) {
		t.Error("client certificate from the old CA kept")
	}
	// Past the leaf's validity, a fresh one is issued.
	later := func() time.Time { return time.Now().Add(leafValidity + 24*time.Hour) }
	p3, err := LoadOrCreate(dir, later)
	if err != nil {
		t.Fatal(err)
	}
	if p3.Server.Leaf.NotAfter.Before(later()) {
		t.Error("expired server certificate kept")
	}
}
