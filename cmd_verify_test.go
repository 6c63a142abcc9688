package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"almatel.kz/signkiosk/app/cades"
	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/pack/packtest"
)

func TestVerifyCommand(t *testing.T) {
	// Outside demo mode unless a test says otherwise: nothing trusted.
	t.Setenv(config.EnvConfig, "/nonexistent/signkiosk.toml")
	env := packtest.NewEnv(t)
	s := env.Sign(t, "900101300123", []byte("%PDF-1.7 application"))
	files := packtest.Files(t, s)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.zip", env.Build(t, files))
	pubPEM, err := pack.PublicKeyPEM(env.DevicePub())
	if err != nil {
		t.Fatal(err)
	}
	pub := write("device.pub", pubPEM)
	roots := write("roots.pem", env.RootsPEM())
	national := write("national.pem", env.RootPEM())
	kioskRoots := write("kiosk-ca.pem", env.KioskRootPEM())
	goodBytes := env.Build(t, files)
	files.PDF = append(bytes.Clone(files.PDF), " tampered"...)
	tampered := write("tampered.zip", env.Build(t, files))
	// Altered evidence with the manifest recomputed for it: the decision
	// pass → fail, the kiosk id changed. Only the device key could sign it.
	forged := write("forged.zip", packtest.Forge(t, goodBytes, packtest.Forgery{Edit: map[string]func([]byte) []byte{
		pack.NameEvidence: packtest.EditEvidence(t, func(m map[string]any) { packtest.FailBiometrics(m); m["kiosk"] = "K-09" }),
	}}))
	unsigned := write("unsigned.zip", packtest.Forge(t, goodBytes, packtest.Forgery{Keep: true, Sign: func([]byte) []byte { return nil }}))

	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := runVerify(context.Background(), args, &out, &errOut)
		return code, out.String(), errOut.String()
	}

	t.Run("ok", func(t *testing.T) {
		code, out, errOut := run(good, "--roots", roots, "--device-pub", pub)
		for _, want := range []string{"TOTAL_PASSED: ", "manifest signature: verified", "order: ORD-2026-000123",
			"signed at: 2026-03-01 10:00:00 UTC (the time stamp's genTime)", "PASSED        ocsp_status: good",
			"PASSED        timestamp_tsa_chain: ", "package: " + packtest.PackageID + " (ticket T-1)", "kiosk: K-01 (device certificate serial ",
			"PASSED        manifest_signature: ", "PASSED        device_chain: ", "PASSED        device_key: "} {
			if !strings.Contains(out, want) {
				t.Errorf("no %q", want)
			}
		}
		if code != 0 || errOut != "" {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		if strings.Contains(out, s.IIN) {
			t.Errorf("output shows the IIN:\n%s", out)
		}
		// The older flag name still works; no per-kiosk key is needed.
		if code, out, _ := run(good, "--ca", roots); code != 0 || !strings.Contains(out, "manifest signature: verified") ||
			strings.Contains(out, "device_key") {
			t.Fatalf("--ca: exit %d\n%s", code, out)
		}
		// The two trusts apart: national roots for the signature, the
		// kiosk CA for kiosks.
		if code, out, _ := run(good, "--roots", national, "--kiosk-roots", kioskRoots); code != 0 {
			t.Fatalf("--kiosk-roots: exit %d\n%s", code, out)
		}
		// The national roots alone do not vouch for a kiosk.
		if code, out, _ := run(good, "--roots", national); code != 1 || !strings.Contains(out, "FAILED        device_chain: ") {
			t.Fatalf("national roots only: exit %d\n%s", code, out)
		}
	})

	t.Run("altered evidence", func(t *testing.T) {
		for _, tc := range []struct {
			pkg, want string
		}{
			{forged, "manifest.json.sig: signature does not verify with the device key device.pem certifies"},
			{unsigned, "manifest.json.sig: empty: the manifest is not signed"},
		} {
			code, out, _ := run(tc.pkg, "--roots", roots)
			if code != 1 || !strings.Contains(out, tc.want) || !strings.Contains(out, "TOTAL_FAILED: package: manifest_signature: ") ||
				!strings.Contains(out, "FAILED        manifest_signature: ") {
				t.Errorf("%s: exit %d\n%s", filepath.Base(tc.pkg), code, out)
			}
			// Nothing trusted: still refused, the signature is not the
			// device's whoever the device is.
			if code, out, _ := run(tc.pkg); code != 1 || !strings.Contains(out, tc.want) {
				t.Errorf("%s without roots: exit %d\n%s", filepath.Base(tc.pkg), code, out)
			}
		}
	})

	t.Run("nothing trusted by default", func(t *testing.T) {
		code, out, _ := run(good)
		if code != exitIndeterminate || !strings.Contains(out, "INDETERMINATE: ") || !strings.Contains(out, "no trusted roots") ||
			!strings.Contains(out, "INDETERMINATE device_chain: no trusted roots") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})

	t.Run("demo mode trusts the demo roots", func(t *testing.T) {
		t.Setenv(config.EnvConfig, "")
		data := t.TempDir()
		t.Setenv(config.EnvDataDir, data)
		if code, _, _ := run(good); code != exitIndeterminate {
			t.Fatalf("no demo roots yet: exit %d", code)
		}
		if err := keepDemoRoot(config.DemoRootsFile(data), env.RootPEM()); err != nil {
			t.Fatal(err)
		}
		if err := keepDemoRoot(config.DemoRootsFile(data), env.KioskRootPEM()); err != nil {
			t.Fatal(err)
		}
		code, out, _ := run(good)
		if code != 0 || !strings.Contains(out, "trusted roots: demo mode: ") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})

	t.Run("in 2036", func(t *testing.T) {
		code, out, _ := run(good, "--roots", roots, "--at", "2036-01-01")
		if code != 0 || !strings.Contains(out, "validated as of: 2036-01-01") || !strings.Contains(out, "expired") {
			t.Fatalf("exit %d\n%s", code, out)
		}
		if code, out, _ := run(good, "--roots", roots, "--at", "2026-02-01T00:00:00Z"); code != 1 {
			t.Fatalf("before signing: exit %d\n%s", code, out)
		}
	})

	t.Run("json report", func(t *testing.T) {
		code, out, _ := run(good, "--roots", roots, "--report", "json", "--at", "2036-01-01T00:00:00Z")
		var r pack.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 {
			t.Fatalf("exit %d, %v:\n%s", code, err, out)
		}
		if r.Indication != cades.TotalPassed || len(r.Checks) != 16 || r.Package.Files != 9 || len(r.Package.Checks) != 7 || r.SigningTime == nil ||
			r.TimeStamp == nil || r.OCSP == nil || r.Signer == nil {
			t.Fatalf("report: %+v", r)
		}
		for _, c := range append(r.Checks, r.Package.Checks...) {
			if c.Status != cades.Passed || c.Reason == "" || c.ID == "" {
				t.Errorf("check %+v", c)
			}
		}
		code, out, _ = run(tampered, "--roots", roots, "--report", "json")
		if err := json.Unmarshal([]byte(out), &r); err != nil || code != 1 || r.Indication != cades.TotalFailed ||
			r.Failing().ID != cades.CheckDocumentDigest || len(r.Package.Problems) == 0 {
			t.Fatalf("tampered: exit %d %v %+v", code, err, r)
		}
	})

	t.Run("extract", func(t *testing.T) {
		out := filepath.Join(dir, "parts")
		code, _, errOut := run(good, "--roots", roots, "--extract", out)
		if code != 0 || !strings.Contains(errOut, "extracted into") {
			t.Fatalf("exit %d %s", code, errOut)
		}
		for _, n := range []string{cades.ExtractToken, cades.ExtractReply, cades.ExtractOCSP, cades.ExtractSigner, cades.ExtractTSA} {
			if st, err := os.Stat(filepath.Join(out, n)); err != nil || st.Size() == 0 {
				t.Errorf("%s: %v", n, err)
			}
		}
	})

	t.Run("tampered", func(t *testing.T) {
		// Re-signed by the device, so only the content checks catch it.
		code, out, _ := run(tampered, "--device-pub", pub, "--roots", roots)
		if code != 1 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		for _, want := range []string{
			"application.pdf.cms: document_digest: ",
			"evidence.json: document_sha256 does not match application.pdf",
			"TOTAL_FAILED: ",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("no %q in\n%s", want, out)
			}
		}
		code, out, _ = run(write("trunc.zip", []byte("PK\x03\x04 not a zip")))
		if code != 1 || !strings.Contains(out, "package is not a readable ZIP") {
			t.Fatalf("truncated: exit %d\n%s", code, out)
		}
	})

	t.Run("many problems", func(t *testing.T) {
		// 50 extra files, under the entry cap: 20 lines and a count.
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for i := range 50 {
			if _, err := zw.Create(fmt.Sprintf("extra%02d", i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		code, out, _ := run(write("many.zip", buf.Bytes()))
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		// 50 extra files and 9 missing ones.
		if code != 1 || len(lines) < 22 || lines[0] != `extra file "extra00"` || lines[20] != "… and 39 more problems" ||
			!strings.HasPrefix(lines[21], "TOTAL_FAILED: ") {
			t.Fatalf("exit %d, %d lines:\n%s", code, len(lines), out)
		}
	})

	t.Run("bad usage", func(t *testing.T) {
		for _, args := range [][]string{
			{},
			{good, good},
			{good, "--nope"},
			{good, "--roots", pub},        // not a certificate
			{good, "--device-pub", roots}, // not a public key
			{good, "--kiosk-roots", pub},  // not a certificate
			{good, "--roots", filepath.Join(dir, "missing.pem")},
			{good, "--at", "next tuesday"},
			{good, "--report", "xml"},
		} {
			if code, out, errOut := run(args...); code != 2 || errOut == "" {
				t.Errorf("%q: exit %d\n%s%s", args, code, out, errOut)
			}
		}
		if code, _, errOut := run(filepath.Join(dir, "missing.zip")); code != 1 || !strings.Contains(errOut, "verify:") {
			t.Errorf("missing package: exit %d %s", code, errOut)
		}
		if code, _, _ := run("--help"); code != 0 {
			t.Errorf("--help: exit %d", code)
		}
	})
}
