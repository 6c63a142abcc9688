package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/logging/logtest"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/pack/packtest"
	"almatel.kz/signkiosk/sync/headoffice"
	"almatel.kz/signkiosk/sync/pki"
)

func TestHeadOfficeCommandBadFlags(t *testing.T) {
	dir := t.TempDir()
	roots := filepath.Join(dir, "roots.pem")
	if err := os.WriteFile(roots, packtest.NewEnv(t).RootPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(notPEM, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"unknown flag":    {"--nope", "--data", dir, "--roots", roots},
		"no data":         {"--listen", "127.0.0.1:0", "--roots", roots},
		"no roots":        {"--data", dir},
		"roots not PEM":   {"--data", dir, "--roots", notPEM},
		"roots missing":   {"--data", dir, "--roots", filepath.Join(dir, "nope.pem")},
		"positional":      {"--data", dir, "--roots", roots, "extra"},
		"bad duration":    {"--data", dir, "--roots", roots, "--link-ttl", "soon"},
		"bad device pub":  {"--data", dir, "--roots", roots, "--device-pub", "K1"},
		"zero size":       {"--data", dir, "--roots", roots, "--max-size", "0"},
		"negative memory": {"--data", dir, "--roots", roots, "--max-memory", "-1"},
		"zero per kiosk":  {"--data", dir, "--roots", roots, "--max-per-kiosk", "0"},
		"zero rate":       {"--data", dir, "--roots", roots, "--min-rate", "0"},
	} {
		var out, errOut bytes.Buffer
		code := runHeadOffice(context.Background(), args, &out, &errOut)
		if code != 2 || strings.Count(errOut.String(), "\n") != 1 || !strings.HasPrefix(errOut.String(), "headoffice: ") {
			t.Errorf("%s: exit %d, stderr %q", name, code, errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := runHeadOffice(context.Background(), []string{"-h"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "usage:") {
		t.Errorf("-h: exit %d, %q", code, errOut.String())
	}
	// Too little memory for one package: refused before serving, one line.
	out.Reset()
	errOut.Reset()
	code := runHeadOffice(context.Background(), []string{"--data", dir, "--roots", roots, "--listen", "127.0.0.1:0", "--download-listen", "127.0.0.1:0",
		"--max-size", "1048576", "--max-memory", "1048576"}, &out, &errOut)
	if code != 1 || strings.Count(errOut.String(), "\n") != 1 || !strings.Contains(errOut.String(), "max memory") {
		t.Errorf("memory below one package: exit %d, stderr %q", code, errOut.String())
	}
}

func TestHeadOfficeCommandServes(t *testing.T) {
	env := packtest.NewEnv(t)
	zipBytes := env.Build(t, packtest.Files(t, env.Sign(t, "900101300123", []byte("%PDF-1.7 application"))))
	dir := t.TempDir()
	pubPEM, err := pack.PublicKeyPEM(env.DevicePub())
	if err != nil {
		t.Fatal(err)
	}
	pubPath := filepath.Join(dir, "device.pub")
	if err := os.WriteFile(pubPath, pubPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "ho")
	roots := filepath.Join(dir, "roots.pem")
	if err := os.WriteFile(roots, env.RootPEM(), 0o600); err != nil {
		t.Fatal(err)
	}

	limit := debug.SetMemoryLimit(-1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut logtest.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runHeadOffice(ctx, []string{"--listen", "127.0.0.1:0", "--download-listen", "127.0.0.1:0",
			"--data", data, "--roots", roots, "--kiosk", "ALM-001-K1", "--device-pub", "ALM-001-K1=" + pubPath}, &out, &errOut)
	}()
	keyLine := regexp.MustCompile(`kiosk ALM-001-K1 key: (\S+)`)
	deadline := time.Now().Add(20 * time.Second)
	for !keyLine.MatchString(out.String()) {
		select {
		case code := <-done:
			t.Fatalf("exited %d early: %s", code, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no startup lines: %q %q", out.String(), errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	field := func(re string) string {
		m := regexp.MustCompile(re).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no %s in %q", re, out.String())
		}
		return m[1]
	}
	apiURL := field(`head office: (https://\S+)`)
	caPath := field(`CA certificate: (\S+)`)
	certPath := field(`kiosk ALM-001-K1 certificate: (\S+)`)
	keyPath := field(`kiosk ALM-001-K1 key: (\S+)`)
	cfg, err := pki.ClientTLS(caPath, certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()

	const id = "0b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a"
	for _, want := range []int{http.StatusCreated, http.StatusOK} {
		req, err := http.NewRequest(http.MethodPut, apiURL+"/v1/packages/"+id, bytes.NewReader(zipBytes))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Digest", headoffice.ContentDigest(zipBytes))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("PUT: %d %s, want %d", resp.StatusCode, b, want)
		}
	}
	if held, err := os.ReadFile(filepath.Join(data, "packages", id+".zip")); err != nil || !bytes.Equal(held, zipBytes) {
		t.Errorf("stored package: %v", err)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, errOut.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	if strings.Contains(errOut.String(), "900101300123") {
		t.Error("log holds the IIN")
	}
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("memory limit %d after the command, want it restored to %d", got, limit)
	}
}
