package pki

import (
	"crypto/ed25519"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/pack"
)

func TestDeviceCert(t *testing.T) {
	dir := t.TempDir()
	p, err := LoadOrCreate(dir, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	path, err := p.DeviceCert(dir, "ALM-001-K1", pub)
	if err != nil {
		t.Fatal(err)
	}
	if path != DeviceCertPath(dir, "ALM-001-K1") {
		t.Errorf("path %s", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cert, inter, err := pack.ParseDeviceCert(b)
	if err != nil || len(inter) != 0 {
		t.Fatalf("parse: %v, %d intermediates", err, len(inter))
	}
	if err := pack.CheckDeviceProfile(cert); err != nil {
		t.Fatalf("profile: %v", err)
	}
	if got := cert.PublicKey.(ed25519.PublicKey); !got.Equal(pub) || cert.Subject.CommonName != "ALM-001-K1" || len(cert.ExtKeyUsage) != 0 {
		t.Errorf("certificate %v %v", cert.Subject, cert.ExtKeyUsage)
	}
	if err := pack.VerifyDeviceChain(cert, nil, p.CAPool, fixedNow()); err != nil {
		t.Errorf("chain: %v", err)
	}
	// Kept while it certifies the same key; re-issued for another.
	again, err := p.DeviceCert(dir, "ALM-001-K1", pub)
	if err != nil {
		t.Fatal(err)
	}
	if b2, _ := os.ReadFile(again); string(b2) != string(b) {
		t.Error("a valid device certificate was re-issued")
	}
	other, _, _ := ed25519.GenerateKey(nil)
	if _, err := p.DeviceCert(dir, "ALM-001-K1", other); err != nil {
		t.Fatal(err)
	}
	b3, _ := os.ReadFile(path)
	if c3, _, err := pack.ParseDeviceCert(b3); err != nil || !c3.PublicKey.(ed25519.PublicKey).Equal(other) {
		t.Errorf("not re-issued for the new key: %v", err)
	}
	// Past its validity, a fresh one.
	later := func() time.Time { return fixedNow().Add(leafValidity + time.Hour) }
	p2, err := LoadOrCreate(dir, later)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p2.DeviceCert(dir, "ALM-001-K1", other); err != nil {
		t.Fatal(err)
	}
	b4, _ := os.ReadFile(path)
	if c4, _, _ := pack.ParseDeviceCert(b4); c4 == nil || c4.NotAfter.Before(later()) {
		t.Error("expired device certificate kept")
	}

	if _, err := p.DeviceCert(dir, "../evil", pub); err == nil {
		t.Error("a path accepted as kiosk id")
	}
	if _, err := p.DeviceCert(dir, "K2", pub[:8]); err == nil {
		t.Error("a short key accepted")
	}

	// The client certificate of the same enrolment is no device certificate.
	certPEM, _, err := p.ClientCert(dir, "ALM-001-K1")
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := os.ReadFile(certPEM)
	client, _, err := pack.ParseDeviceCert(cb)
	if err != nil {
		t.Fatal(err)
	}
	if err := pack.CheckDeviceProfile(client); err == nil || !strings.Contains(err.Error(), "policy") {
		t.Errorf("client certificate taken for a device certificate: %v", err)
	}
}

// openssl reads the device certificate and its policy as the project's.
func TestDeviceCertOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is required in CI (make deps)")
		}
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	p, err := LoadOrCreate(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	path, err := p.DeviceCert(dir, "K1", pub)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("openssl", "x509", "-in", path, "-noout", "-text").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl x509: %v\n%s", err, out)
	}
	for _, want := range []string{"Policy: " + pack.DevicePolicyOID, "ED25519", "CN = K1", "Digital Signature"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	out, err = exec.Command("openssl", "verify", "-CAfile", filepath.Join(dir, CACertFile), path).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl verify: %v\n%s", err, out)
	}
}
