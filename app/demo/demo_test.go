package demo

import (
	"bytes"
	"context"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/ncasim"
)

// The demo ticket's QR carries the demo subscriber's IIN, name and phone:
// it is 0600 whatever the umask, also over an older 0644 one.
func TestDemoTicketQRIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "demo-ticket.png"), []byte("older"), 0o644)
	env, err := Start(dir, "ALM-001", time.Now, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close(context.Background())
	_, p, err := env.NewTicket()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() < 100 {
		t.Fatalf("%s: %v %v", p, fi.Mode(), err)
	}
}

// The national CA's services are on the simulator's listener under /nca,
// without the bearer key; its certificates point there.
func TestDemoServesNCA(t *testing.T) {
	env, err := Start(t.TempDir(), "ALM-001", time.Now, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close(context.Background())
	if env.NCAURL != env.ProviderURL+"/nca" || env.Sim.PKI() != env.PKI {
		t.Fatalf("NCA at %s, provider at %s", env.NCAURL, env.ProviderURL)
	}
	b, _ := pem.Decode(env.RootPEM)
	if b == nil || !bytes.Equal(b.Bytes, env.PKI.Root().Raw) {
		t.Fatal("RootPEM is not the CA's root")
	}
	if got := env.PKI.Issuing().IssuingCertificateURL; len(got) != 1 || got[0] != env.NCAURL+ncasim.PathRootCert {
		t.Fatalf("issuing CA's AIA %v", got)
	}
	for url, want := range map[string]int{
		env.NCAURL + ncasim.PathCRL:      http.StatusOK,
		env.NCAURL + ncasim.PathRootCert: http.StatusOK,
		env.ProviderURL + "/v1/sessions": http.StatusUnauthorized,
	} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", url, resp.StatusCode, want)
		}
		if url == env.NCAURL+ncasim.PathRootCert && !bytes.Equal(body, env.PKI.Root().Raw) {
			t.Error("the root served is not the root")
		}
	}
}
