package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/pack/packtest"
)

func TestVerifyCommand(t *testing.T) {
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
	ca := write("ca.pem", []byte(s.Chain))
	files.PDF = append(bytes.Clone(files.PDF), " tampered"...)
	tampered := write("tampered.zip", env.Build(t, files))

	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := runVerify(context.Background(), args, &out, &errOut)
		return code, out.String(), errOut.String()
	}

	t.Run("ok", func(t *testing.T) {
		code, out, errOut := run(good, "--ca", ca, "--device-pub", pub)
		if code != 0 || !strings.Contains(out, "OK: 7 files") || !strings.Contains(out, "manifest signature: verified") ||
			!strings.Contains(out, "order: ORD-2026-000123") || errOut != "" {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		if strings.Contains(out, s.IIN) {
			t.Errorf("summary shows the IIN:\n%s", out)
		}
		code, out, _ = run(good)
		if code != 0 || !strings.Contains(out, "not checked (no device key given)") {
			t.Fatalf("without keys: exit %d\n%s", code, out)
		}
	})

	t.Run("tampered", func(t *testing.T) {
		// Re-signed by the device, so only the content checks catch it.
		code, out, _ := run(tampered, "--device-pub", pub)
		if code != 1 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		for _, want := range []string{
			"application.pdf.cms: signature does not verify: ",
			"evidence.json: document_sha256 does not match application.pdf",
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
		// 50 extra files and 7 missing ones.
		if code != 1 || len(lines) != 21 || lines[0] != `extra file "extra00"` || lines[20] != "… and 37 more problems" {
			t.Fatalf("exit %d, %d lines:\n%s", code, len(lines), out)
		}
	})

	t.Run("bad usage", func(t *testing.T) {
		for _, args := range [][]string{
			{},
			{good, good},
			{good, "--nope"},
			{good, "--ca", pub},        // not a certificate
			{good, "--device-pub", ca}, // not a public key
			{good, "--ca", filepath.Join(dir, "missing.pem")},
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
