package sim_test

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"almatel.kz/signkiosk/app/cms"
	"almatel.kz/signkiosk/app/provider"
)

// TestSignGivesDetachedCMS: sign answers a CAdES-BES CMS over the document
// whose digest was sent, by the issued certificate, at the simulator's time.
func TestSignGivesDetachedCMS(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id := e.toCertificate(t, testIIN)
	certs, err := e.client.Certificate(ctx, id, testPassword)
	must(t, err)
	document := []byte("%PDF-1.7 application")
	sum := sha256.Sum256(document)
	req := provider.SignRequest{DocumentSHA256: hex.EncodeToString(sum[:])}

	// A wrong password first: refused, and the key still opens afterwards.
	req.Password = testPassword + "x"
	_, err = e.client.Sign(ctx, id, req)
	wantErr(t, err, http.StatusUnprocessableEntity, provider.CodeWrongPassword)
	req.Password = testPassword
	sig, err := e.client.Sign(ctx, id, req)
	must(t, err)

	caBlock, _ := pem.Decode([]byte(certs.Chain))
	certBlock, _ := pem.Decode([]byte(certs.Certificate))
	if caBlock == nil || certBlock == nil {
		t.Fatal("certificate response is not PEM")
	}
	ca, err := x509.ParseCertificate(caBlock.Bytes)
	must(t, err)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	signer, err := cms.Verify(sig.CMS, document, roots)
	if err != nil {
		t.Fatalf("cms.Verify: %v", err)
	}
	if string(signer.Raw) != string(certBlock.Bytes) {
		t.Fatal("CMS signed by another certificate")
	}
	if !sig.SignedAt.Equal(e.clock.Now()) {
		t.Errorf("signed_at %v, want the simulator's clock", sig.SignedAt)
	}
	if _, err := cms.Verify(sig.CMS, append(document, ' '), roots); err == nil {
		t.Fatal("CMS verifies another document")
	}

	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is missing in CI (make deps installs it)")
		}
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	files := map[string][]byte{"doc.bin": document, "doc.cms": sig.CMS, "chain.pem": []byte(certs.Chain)}
	for name, b := range files {
		must(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
	// -attime: the certificate is valid from the test clock's date on.
	cmd := exec.Command(openssl, "cms", "-verify", "-binary", "-inform", "DER", "-content", "doc.bin",
		"-in", "doc.cms", "-CAfile", "chain.pem", "-purpose", "any",
		"-attime", strconv.FormatInt(e.clock.Now().Unix(), 10), "-out", os.DevNull)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Verification successful") {
		t.Fatalf("openssl cms -verify: %v\n%s", err, out)
	}
}
