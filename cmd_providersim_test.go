package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/logging/logtest"
	"almatel.kz/signkiosk/app/ncasim"
	"almatel.kz/signkiosk/sync/pki"
)

// provider-sim serves the national CA under /nca beside the simulator,
// prints its base URL and writes its root where --nca-root says.
func TestProviderSimServesNCA(t *testing.T) {
	root := filepath.Join(t.TempDir(), "nca-root.pem")
	kioskCA := headOfficeCA(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs logtest.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runProviderSim(ctx, []string{"--listen", "127.0.0.1:0", "--nca-root", root, "--kiosk-roots", kioskCA}, io.Discard, &logs)
	}()
	re := regexp.MustCompile(`nca_url=(http://127\.0\.0\.1:[0-9]+/nca)`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == ""; time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no NCA URL printed:\n%s", logs.String())
		}
	}
	resp, err := http.Get(base + ncasim.PathRootCert)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	written, err := os.ReadFile(root)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(written)
	if resp.StatusCode != http.StatusOK || b == nil || !bytes.Equal(b.Bytes, served) {
		t.Fatalf("GET root.cer %d; the written root is not the served one", resp.StatusCode)
	}
	// The provider's API beside it still wants the key.
	resp, err = http.Get(base[:len(base)-len("/nca")] + "/v1/sessions")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("provider API without a key: %d", resp.StatusCode)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d:\n%s", code, logs.String())
	}
}

// headOfficeCA makes a head office's kiosk CA and returns its PEM's path.
func headOfficeCA(t *testing.T) string {
	t.Helper()
	p, err := pki.LoadOrCreate(t.TempDir(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return p.CAPath()
}

func TestProviderSimBadNCAURL(t *testing.T) {
	if code, _, errs := runArgs(t, "provider-sim", "--listen", "127.0.0.1:0", "--nca-url", "ftp://x", "--kiosk-roots", headOfficeCA(t)); code != 2 || errs == "" {
		t.Fatalf("code %d %q", code, errs)
	}
}

// Without head office's kiosk CA the simulator would take no kiosk's frames:
// it does not start, and says what to give it, in one line.
func TestProviderSimNeedsKioskRoots(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "x.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{}, {"--kiosk-roots", filepath.Join(t.TempDir(), "missing.pem")}, {"--kiosk-roots", notPEM}} {
		code, _, errs := runArgs(t, append([]string{"provider-sim", "--listen", "127.0.0.1:0"}, args...)...)
		if code != 2 || !strings.Contains(errs, "kiosk") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: code %d %q", args, code, errs)
		}
	}
}

func TestReachable(t *testing.T) {
	for in, want := range map[string]string{"0.0.0.0:8701": "127.0.0.1:8701", "[::]:80": "127.0.0.1:80", "10.0.0.5:1": "10.0.0.5:1"} {
		a, err := net.ResolveTCPAddr("tcp", in)
		if err != nil {
			t.Fatal(err)
		}
		if got := reachable(a); got != want {
			t.Errorf("reachable(%s) = %s, want %s", in, got, want)
		}
	}
}
