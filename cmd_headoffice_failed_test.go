package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/failedsession"
	"almatel.kz/signkiosk/app/failedsession/failedtest"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/sync/headoffice"
	"almatel.kz/signkiosk/sync/pki"
	"almatel.kz/signkiosk/sync/uploader"
)

// Head office staff list the failed sessions its kiosks delivered: a kiosk
// enrolled with the command, two records put over mTLS to the real
// receiver, then `headoffice failed` with its filters.
func TestHeadOfficeFailedCommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "ho")
	const kioskID = "ALM-001-K1"
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := pack.PublicKeyPEM(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	pubPath := filepath.Join(dir, "device-ed25519.pub")
	if err := os.WriteFile(pubPath, pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runHO(t, "failed", "--data", data); code != 1 || !strings.Contains(errOut, "no head office index") {
		t.Fatalf("before any head office: exit %d %q", code, errOut)
	}
	code, out, errOut := runHO(t, "enrol", kioskID, "--data", data, "--device-pub", pubPath)
	if code != 0 {
		t.Fatalf("enrol: exit %d %s", code, errOut)
	}
	deviceCert, err := os.ReadFile(field(t, out, `device certificate \(device.cert\): (\S+)`))
	if err != nil {
		t.Fatal(err)
	}
	put := startFailedReceiver(t, data, field(t, out, `client certificate \(sync.client_cert\): (\S+)`),
		field(t, out, `client key \(sync.client_key\): (\S+)`))

	now := time.Now()
	bio := failedtest.Record(kioskID, "ALM-001", now.Add(-time.Minute))
	refused := failedtest.Record(kioskID, "AST-002", now.Add(-40*time.Minute))
	refused.Reason, refused.Step, refused.Error = "provider_refused", "code", "unavailable"
	refused.Biometrics = []failedsession.Attempt{}
	refused.Steps = refused.Steps[:2]
	for _, r := range []failedsession.Record{bio, refused} {
		if code := put(r.RecordID, failedtest.Sign(t, r, key, deviceCert)); code != http.StatusCreated {
			t.Fatalf("put %s: %d", r.Reason, code)
		}
	}

	code, out, errOut = runHO(t, "failed", "--data", data)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || !strings.HasPrefix(lines[0], "ENDED") ||
		!strings.Contains(lines[1], "biometric_failed") || !strings.Contains(lines[1], bio.TicketID) || !strings.Contains(lines[1], "no_match") ||
		!strings.Contains(lines[2], "provider_refused") || !strings.Contains(lines[2], "AST-002") || lines[3] != "2 failed session(s)" {
		t.Fatalf("failed: exit %d\n%s%s", code, out, errOut)
	}
	for name, args := range map[string][]string{
		"office": {"--office", "AST-002"}, "since": {"--since", "20m"}, "reason": {"--reason", "biometric_failed"},
		"kiosk": {"--kiosk", "ALM-001-K9"}, "limit": {"--limit", "1"},
	} {
		code, out, errOut := runHO(t, append([]string{"failed", "--data", data}, args...)...)
		want := map[string]string{"office": "1 failed session(s)", "since": "1 failed session(s)", "reason": "1 failed session(s)",
			"kiosk": "no failed sessions", "limit": "1 failed session(s) (the newest 1; --limit 0 shows all)"}[name]
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("%s: exit %d\n%s%s", name, code, out, errOut)
		}
	}
	code, out, _ = runHO(t, "failed", "--data", data, "--json")
	var got []failedsession.Record
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r failedsession.Record
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("--json line %q: %v", l, err)
		}
		got = append(got, r)
	}
	if code != 0 || len(got) != 2 || got[0].RecordID != bio.RecordID || len(got[0].Biometrics) != 5 {
		t.Fatalf("--json: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{{"--since", "soon"}, {"extra"}, {"--limit", "-1"}, {"--nope"}} {
		code, _, errOut := runHO(t, append([]string{"failed", "--data", data}, args...)...)
		if code != 2 || strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "headoffice failed") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// startFailedReceiver serves head office over data (its index and kiosk CA)
// on mTLS for the test, and returns a PUT of a record as the kiosk makes it.
func startFailedReceiver(t *testing.T, data, certPath, keyPath string) func(id string, body []byte) int {
	t.Helper()
	ctx := context.Background()
	p, err := pki.LoadOrCreate(filepath.Join(data, "pki"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	index, err := headoffice.OpenIndex(ctx, filepath.Join(data, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { index.Close() })
	srv, err := headoffice.New(headoffice.Config{Storage: &headoffice.FileStorage{Dir: filepath.Join(data, "packages")},
		Index: index, Log: zerolog.Nop(), LinkKey: bytes.Repeat([]byte("k"), 32), Roots: x509.NewCertPool(), KioskRoots: p.CAPool})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewUnstartedServer(srv.Handler())
	api.TLS = srv.TLSConfig(pki.ServerTLS(p))
	api.StartTLS()
	t.Cleanup(api.Close)
	tlsCfg, err := pki.ClientTLS(p.CAPath(), certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	client := uploader.NewClient(tlsCfg, 1)
	t.Cleanup(client.CloseIdleConnections)
	return func(id string, body []byte) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPut, api.URL+"/v1/failed-sessions/"+id, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Digest", headoffice.ContentDigest(body))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
}
