package sim_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/ocsp"

	"almatel.kz/signkiosk/app/cms"
	"almatel.kz/signkiosk/app/ncasim"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/tsp"
)

// ncaEnv serves the simulator and its national CA on one server, the CA
// under /nca without a key, as the demo does.
type ncaEnv struct {
	*env
	pki  *ncasim.PKI
	http *http.Client
}

func newNCAEnv(t *testing.T) *ncaEnv {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	pki, err := ncasim.New(ncasim.Config{BaseURL: url + "/nca", Now: clk.Now, Log: zerolog.Nop()})
	must(t, err)
	dev, ca, roots := enrol(t, clk.Now)
	s, err := sim.New(sim.Config{APIKey: testKey, Log: zerolog.Nop(), Now: clk.Now, PKI: pki, KioskRoots: roots,
		Moves: func() []string { return []string{provider.MoveTurnRight} }}) // one move: these tests are about the CA
	must(t, err)
	if s.PKI() != pki {
		t.Fatal("the simulator made its own PKI although one was given")
	}
	srv.Config.Handler = pki.Mount("/nca", s)
	srv.Start()
	t.Cleanup(srv.Close)
	return &ncaEnv{
		env:  &env{sim: s, client: provider.NewClient(url, testKey, srv.Client(), 5*time.Second), clock: clk, url: url, dev: dev, ca: ca},
		pki:  pki,
		http: srv.Client(),
	}
}

// certify walks a session to its certificate and returns it with the chain.
func (e *ncaEnv) certify(t *testing.T, iin string) (string, *x509.Certificate, []*x509.Certificate) {
	t.Helper()
	id := e.toCertificate(t, iin)
	resp, err := e.client.Certificate(context.Background(), id, testPassword)
	must(t, err)
	certs := parsePEM(t, resp.Certificate)
	if len(certs) != 1 {
		t.Fatalf("%d certificates in the certificate answer", len(certs))
	}
	return id, certs[0], parsePEM(t, resp.Chain)
}

func parsePEM(t *testing.T, s string) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	rest := []byte(s)
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		must(t, err)
		out = append(out, c)
	}
	return out
}

// askOCSP asks the responder the certificate names, as a verifier would.
func (e *ncaEnv) askOCSP(t *testing.T, cert *x509.Certificate) (int, []byte) {
	t.Helper()
	if len(cert.OCSPServer) != 1 {
		t.Fatalf("OCSP URLs %v", cert.OCSPServer)
	}
	req, err := ocsp.CreateRequest(cert, e.pki.Issuing(), nil)
	must(t, err)
	resp, err := e.http.Post(cert.OCSPServer[0], "application/ocsp-request", bytes.NewReader(req))
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, body
}

func (e *ncaEnv) sign(t *testing.T, id string) []byte {
	t.Helper()
	sum := sha256.Sum256([]byte("%PDF-1.7 application"))
	sig, err := e.client.Sign(context.Background(), id, provider.SignRequest{DocumentSHA256: hex.EncodeToString(sum[:]), Password: testPassword})
	must(t, err)
	return sig.CMS
}

// The certificate answer's chain is the issuing CA then the root; the
// certificate chains to the root through it, and a signature carries both.
func TestCertificateChainIsNCAs(t *testing.T) {
	e := newNCAEnv(t)
	id, cert, chain := e.certify(t, testIIN)
	if len(chain) != 2 || !chain[0].Equal(e.pki.Issuing()) || !chain[1].Equal(e.pki.Root()) {
		t.Fatalf("chain of %d", len(chain))
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(e.pki.Root())
	inter.AddCert(chain[0])
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: e.clock.Now(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatal(err)
	}
	if cert.Subject.SerialNumber != "IIN"+testIIN {
		t.Fatalf("subject %v", cert.Subject)
	}
	p, err := cms.Parse(e.sign(t, id))
	must(t, err)
	var inCMS []string
	for _, c := range p.Certificates {
		inCMS = append(inCMS, c.Subject.CommonName)
	}
	if len(p.Certificates) != 3 || !p.Certificates[1].Equal(e.pki.Issuing()) || !p.Certificates[2].Equal(e.pki.Root()) {
		t.Fatalf("the CMS carries %v", inCMS)
	}
	// An ordinary certificate is good.
	if code, body := e.askOCSP(t, cert); code != http.StatusOK {
		t.Fatalf("OCSP %d", code)
	} else if r, err := ocsp.ParseResponseForCert(body, cert, e.pki.Issuing()); err != nil || r.Status != ocsp.Good {
		t.Fatalf("OCSP: %v %+v", err, r)
	}
}

func TestTriggerRevoked(t *testing.T) {
	e := newNCAEnv(t)
	_, cert, _ := e.certify(t, sim.TriggerIINRevoked)
	code, body := e.askOCSP(t, cert)
	r, err := ocsp.ParseResponseForCert(body, cert, e.pki.Issuing())
	if code != http.StatusOK || err != nil || r.Status != ocsp.Revoked || r.RevocationReason != ocsp.KeyCompromise ||
		!r.RevokedAt.Equal(e.clock.Now()) {
		t.Fatalf("OCSP %d: %v %+v", code, err, r)
	}
	resp, err := e.http.Get(e.url + "/nca" + ncasim.PathDeltaCRL)
	must(t, err)
	der, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	must(t, err)
	crl, err := x509.ParseRevocationList(der)
	must(t, err)
	if len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(cert.SerialNumber) != 0 {
		t.Fatalf("delta CRL lists %d", len(crl.RevokedCertificateEntries))
	}
}

func TestTriggerOCSPDown(t *testing.T) {
	e := newNCAEnv(t)
	_, cert, _ := e.certify(t, sim.TriggerIINOCSPDown)
	if code, _ := e.askOCSP(t, cert); code != http.StatusServiceUnavailable {
		t.Fatalf("OCSP %d, want 503", code)
	}
	_, other, _ := e.certify(t, testIIN)
	if code, _ := e.askOCSP(t, other); code != http.StatusOK {
		t.Fatalf("another certificate: OCSP %d", code)
	}
}

func TestTriggerTSADown(t *testing.T) {
	e := newNCAEnv(t)
	c := &tsp.Client{URL: e.url + "/nca" + ncasim.PathTSP, HTTP: e.http}
	stamp := func(iin string) error {
		id, _, _ := e.certify(t, iin)
		p, err := cms.Parse(e.sign(t, id))
		must(t, err)
		_, err = c.Stamp(context.Background(), p.Signer.Signature)
		return err
	}
	if err := stamp(sim.TriggerIINTSADown); !errors.Is(err, tsp.ErrUnavailable) {
		t.Fatalf("TSA-down trigger: %v", err)
	}
	if err := stamp(testIIN); err != nil {
		t.Fatalf("an ordinary signature: %v", err)
	}
}

// The national CA's paths need no key; the provider's still do.
func TestNCAPathsArePublic(t *testing.T) {
	e := newNCAEnv(t)
	for path, want := range map[string]int{
		"/nca" + ncasim.PathCRL:      http.StatusOK,
		"/nca" + ncasim.PathRootCert: http.StatusOK,
		"/v1/sessions":               http.StatusUnauthorized,
		"/nca/v1/sessions":           http.StatusNotFound,
	} {
		resp, err := e.http.Get(e.url + path)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// Without a PKI, the simulator makes one on its clock at PKIBaseURL.
func TestSimulatorMakesItsPKI(t *testing.T) {
	s, err := sim.New(sim.Config{APIKey: testKey, PKIBaseURL: "http://127.0.0.1:9/nca"})
	must(t, err)
	if s.PKI() == nil || !strings.HasPrefix(s.PKI().URL(ncasim.PathOCSP), "http://127.0.0.1:9/nca/") {
		t.Fatal("no PKI at the base URL")
	}
	if _, err := sim.New(sim.Config{APIKey: testKey, PKIBaseURL: "not a URL"}); err == nil {
		t.Fatal("a bad PKI base URL was accepted")
	}
}
