package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/pack/packtest"
	"almatel.kz/signkiosk/sync/headoffice"
)

// The demo enrols its kiosk with its head office: the kiosk's packages
// carry that device certificate and name their id, `signkiosk verify` in
// demo mode checks all of it with no key file, the demo head office refuses
// the kiosk's package once altered, and a revoked demo kiosk is cut off.
func TestDemoKioskEnrolled(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(config.EnvConfig, "")
	t.Setenv(config.EnvDataDir, dir)
	cfg, err := config.LoadDemo(dir)
	if err != nil {
		t.Fatal(err)
	}
	k, drv, ctx := runDemoKiosk(t, cfg, time.Minute, false)
	for _, st := range drv.steps(ctx) {
		if err := drv.do(ctx, st); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	id := k.runner.State().Receipt.PackageID
	zipBytes, err := k.outbox.Payload(ctx, id)
	if err != nil {
		t.Fatal(err)
	}

	// Verify, demo mode: the demo's roots bundle trusts its kiosk CA.
	pkg := filepath.Join(t.TempDir(), "p.zip")
	if err := os.WriteFile(pkg, zipBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := runVerify(ctx, []string{pkg}, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "kiosk: "+cfg.KioskID+" (device certificate serial ") ||
		!strings.Contains(out.String(), "package: "+id+" (ticket ") ||
		!strings.Contains(out.String(), "PASSED        device_chain: ") {
		t.Fatalf("verify: exit %d\n%s%s", code, out.String(), errOut.String())
	}

	// The register of the demo head office holds the kiosk.
	hoDir := filepath.Join(dir, "headoffice")
	db, err := headoffice.OpenIndex(ctx, filepath.Join(hoDir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	ks, err := db.Kiosks(ctx)
	db.Close()
	if err != nil || len(ks) != 1 || ks[0].ID != cfg.KioskID || ks[0].Devices != 1 || ks[0].Revoked() {
		t.Fatalf("register %+v %v", ks, err)
	}

	// Over the kiosk's own mTLS link, the package altered (the biometric
	// decision, the kiosk id; manifest recomputed) is refused.
	office := k.staff.office.client
	base := strings.TrimSuffix(k.staff.office.url, headOfficeHealth)
	put := func(c *http.Client, pid string, body []byte) (int, string, error) {
		req, err := http.NewRequest(http.MethodPut, base+"/v1/packages/"+pid, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Digest", headoffice.ContentDigest(body))
		resp, err := c.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	forged := packtest.Forge(t, zipBytes, packtest.Forgery{Edit: map[string]func([]byte) []byte{
		pack.NameEvidence: packtest.EditEvidence(t, func(m map[string]any) { packtest.FailBiometrics(m); m["kiosk"] = "ALM-001-K9" }),
	}})
	const otherID = "1b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a"
	for _, tc := range []struct {
		pid   string
		body  []byte
		check string
	}{{id, forged, pack.CheckManifestSignature}, {otherID, forged, pack.CheckManifestSignature}, {otherID, zipBytes, pack.CheckPackageID}} {
		code, body, err := put(office, tc.pid, tc.body)
		if err != nil || code != http.StatusUnprocessableEntity || !strings.Contains(body, `"check":"`+tc.check+`"`) {
			t.Errorf("%s: %d %s %v", tc.check, code, body, err)
		}
	}

	// Revoked: a new connection of the kiosk is refused.
	out.Reset()
	errOut.Reset()
	if code := runHeadOffice(ctx, []string{"revoke", cfg.KioskID, "--data", hoDir}, &out, &errOut); code != 0 {
		t.Fatalf("revoke: exit %d %s", code, errOut.String())
	}
	fresh := &http.Client{Transport: &http.Transport{TLSClientConfig: office.Transport.(*http.Transport).TLSClientConfig.Clone()}, Timeout: 10 * time.Second}
	defer fresh.CloseIdleConnections()
	if _, _, err := put(fresh, id, zipBytes); err == nil {
		t.Error("a revoked demo kiosk's new connection was accepted")
	}
}
