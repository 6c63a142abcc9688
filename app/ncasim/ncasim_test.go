package ncasim_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/ncasim"
)

// clock is the injected clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	pki   *ncasim.PKI
	clock *clock
	base  string // the PKI's base URL
	http  *http.Client
}

// newEnv serves a PKI over real HTTP under /nca, beside a handler that
// answers 418, as the demo mounts it beside the provider simulator.
func newEnv(t testing.TB) *env {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String() + "/nca"
	pki, err := ncasim.New(ncasim.Config{BaseURL: base, Now: clk.Now, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = pki.Mount("/nca", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	srv.Start()
	t.Cleanup(srv.Close)
	return &env{pki: pki, clock: clk, base: base, http: srv.Client()}
}

const testIIN = "900101300123"

// subscriber issues a certificate for a fresh key.
func (e *env) subscriber(t testing.TB) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := e.pki.IssueSubscriber(&key.PublicKey, ncasim.Subject{IIN: testIIN, Surname: "Сәрсенбаев", Given: "Нұрлан"})
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func (e *env) get(t testing.TB, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := e.http.Get(e.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestNewChecksBaseURL(t *testing.T) {
	for _, bad := range []string{"ftp://x/nca", "/nca", "http://x/nca?q=1", "http://u@x/nca", "http://x/#f"} {
		if _, err := ncasim.New(ncasim.Config{BaseURL: bad}); err == nil {
			t.Errorf("BaseURL %q accepted", bad)
		}
	}
	p, err := ncasim.New(ncasim.Config{})
	must(t, err)
	// No base URL: the pointers still there, to a name that never resolves.
	if got := p.Issuing().IssuingCertificateURL; len(got) != 1 || !strings.HasPrefix(got[0], "http://ncasim.invalid/") {
		t.Fatalf("issuing CA's AIA without a base URL: %v", got)
	}
	p, err = ncasim.New(ncasim.Config{BaseURL: "https://example.test/nca/"})
	must(t, err)
	if got := p.URL(ncasim.PathOCSP); got != "https://example.test/nca/ocsp" {
		t.Fatalf("URL: %s", got)
	}
}

// The chain: root → issuing CA (pathlen 0) → subscriber, TSA, OCSP
// responder, each verifying for its purpose, each name saying DEMO.
func TestChain(t *testing.T) {
	e := newEnv(t)
	sub, _ := e.subscriber(t)
	p := e.pki
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(p.Root())
	inter.AddCert(p.Issuing())
	at := e.clock.Now()
	for _, c := range []struct {
		cert *x509.Certificate
		eku  x509.ExtKeyUsage
	}{{sub, x509.ExtKeyUsageEmailProtection}, {p.TSACert(), x509.ExtKeyUsageTimeStamping}, {p.OCSPCert(), x509.ExtKeyUsageOCSPSigning}} {
		if _, err := c.cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at,
			KeyUsages: []x509.ExtKeyUsage{c.eku}}); err != nil {
			t.Errorf("%s: %v", c.cert.Subject.CommonName, err)
		}
	}
	if _, err := sub.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err == nil {
		t.Error("the subscriber's certificate verifies for time stamping")
	}
	if !p.Root().IsCA || !p.Issuing().IsCA || p.Issuing().MaxPathLen != 0 || !p.Issuing().MaxPathLenZero {
		t.Error("CA basic constraints")
	}
	want := x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	if p.Root().KeyUsage != want || p.Issuing().KeyUsage != want {
		t.Errorf("CA key usage %v %v", p.Root().KeyUsage, p.Issuing().KeyUsage)
	}
	for _, c := range []*x509.Certificate{p.Root(), p.Issuing(), p.TSACert(), p.OCSPCert()} {
		if !strings.Contains(c.Subject.CommonName, "DEMO") || !strings.Contains(c.Subject.Organization[0], "not the National") {
			t.Errorf("name %q does not say it is a demo", c.Subject)
		}
		if c.SignatureAlgorithm != x509.SHA256WithRSA || c.PublicKey.(*rsa.PublicKey).N.BitLen() != 2048 {
			t.Errorf("%s: %v", c.Subject.CommonName, c.SignatureAlgorithm)
		}
	}
	// What the provider answers as its chain, and what a verifier trusts.
	if b, _ := pem.Decode(p.ChainPEM()); b == nil || string(b.Bytes) != string(p.Issuing().Raw) {
		t.Error("ChainPEM is not the issuing CA")
	}
	if b, _ := pem.Decode(p.RootPEM()); b == nil || string(b.Bytes) != string(p.Root().Raw) {
		t.Error("RootPEM is not the root")
	}
}

func TestSubscriberShape(t *testing.T) {
	e := newEnv(t)
	sub, key := e.subscriber(t)
	if sub.Subject.CommonName != "СӘРСЕНБАЕВ НҰРЛАН" || sub.Subject.SerialNumber != "IIN"+testIIN ||
		!slices.Equal(sub.Subject.Country, []string{"KZ"}) {
		t.Fatalf("subject %v", sub.Subject)
	}
	attr := map[string]string{}
	for _, n := range sub.Subject.Names {
		attr[n.Type.String()] = n.Value.(string)
	}
	if attr["2.5.4.4"] != "СӘРСЕНБАЕВ" || attr["2.5.4.42"] != "НҰРЛАН" {
		t.Fatalf("SURNAME/GIVENNAME: %v", attr)
	}
	if !sub.NotBefore.Equal(e.clock.Now()) || !sub.NotAfter.Equal(e.clock.Now().AddDate(1, 0, 0)) {
		t.Errorf("validity %v – %v", sub.NotBefore, sub.NotAfter)
	}
	if sub.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment ||
		!slices.Equal(sub.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}) {
		t.Errorf("key usage %v %v", sub.KeyUsage, sub.ExtKeyUsage)
	}
	var pols []string
	for _, p := range sub.Policies {
		pols = append(pols, p.String())
	}
	if !slices.Equal(pols, []string{"1.2.398.3.3.4.1.1", "1.2.398.3.3.4.3.2", "1.2.398.3.3.4.3.2.1"}) {
		t.Errorf("policies %v", pols)
	}
	if !slices.Equal(sub.OCSPServer, []string{e.base + ncasim.PathOCSP}) ||
		!slices.Equal(sub.IssuingCertificateURL, []string{e.base + ncasim.PathIssuingCert}) ||
		!slices.Equal(sub.CRLDistributionPoints, []string{e.base + ncasim.PathCRL}) {
		t.Errorf("AIA %v %v, CDP %v", sub.OCSPServer, sub.IssuingCertificateURL, sub.CRLDistributionPoints)
	}
	if got := freshest(t, sub); got != e.base+ncasim.PathDeltaCRL {
		t.Errorf("freshest CRL %q", got)
	}
	if sub.PublicKey.(*rsa.PublicKey).N.Cmp(key.N) != 0 || len(sub.SubjectKeyId) != 20 ||
		string(sub.AuthorityKeyId) != string(e.pki.Issuing().SubjectKeyId) {
		t.Error("key or key identifiers")
	}
	if _, err := e.pki.IssueSubscriber(&key.PublicKey, ncasim.Subject{IIN: "12345", Surname: "A", Given: "B"}); err == nil {
		t.Error("a short IIN was certified")
	}
	if _, err := e.pki.IssueSubscriber(nil, ncasim.Subject{IIN: testIIN}); err == nil {
		t.Error("no key was certified")
	}
}

// freshest reads the freshest-CRL extension's one URI.
func freshest(t testing.TB, c *x509.Certificate) string {
	t.Helper()
	for _, ext := range c.Extensions {
		if !ext.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 46}) {
			continue
		}
		var dps []struct {
			Name struct {
				Full []asn1.RawValue `asn1:"optional,tag:0"`
			} `asn1:"optional,tag:0"`
		}
		if _, err := asn1.Unmarshal(ext.Value, &dps); err != nil || len(dps) != 1 || len(dps[0].Name.Full) != 1 {
			t.Fatalf("freshest CRL: %v %d", err, len(dps))
		}
		if ext.Critical {
			t.Error("freshest CRL is critical")
		}
		return string(dps[0].Name.Full[0].Bytes)
	}
	return ""
}

func TestTSAAndResponderCertificates(t *testing.T) {
	e := newEnv(t)
	tsa, resp := e.pki.TSACert(), e.pki.OCSPCert()
	var eku, nocheck int
	for _, ext := range tsa.Extensions {
		if ext.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 37}) {
			eku++
			if !ext.Critical {
				t.Error("TSA EKU is not critical")
			}
		}
	}
	if eku != 1 || !slices.Equal(tsa.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}) {
		t.Errorf("TSA EKU: %d extensions, %v", eku, tsa.ExtKeyUsage)
	}
	if got := e.pki.TSAPolicy().String(); !strings.HasPrefix(got, "1.2.398.3.3.2.") {
		t.Errorf("TSA policy %s", got)
	}
	for _, ext := range resp.Extensions {
		if ext.Id.Equal(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}) && string(ext.Value) == "\x05\x00" {
			nocheck++
		}
	}
	if nocheck != 1 || !slices.Equal(resp.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}) || len(resp.OCSPServer) != 0 {
		t.Errorf("responder: nocheck %d, EKU %v, OCSP %v", nocheck, resp.ExtKeyUsage, resp.OCSPServer)
	}

	// openssl reads it the same way.
	dir := t.TempDir()
	writePEM(t, dir, "tsa.pem", tsa)
	out := openssl(t, dir, "x509", "-in", "tsa.pem", "-noout", "-text")
	if !strings.Contains(out, "X509v3 Extended Key Usage: critical") || !strings.Contains(out, "Time Stamping") {
		t.Fatalf("openssl x509 -text:\n%s", out)
	}
	writePEM(t, dir, "ocsp.pem", resp)
	out = openssl(t, dir, "x509", "-in", "ocsp.pem", "-noout", "-text")
	if !strings.Contains(out, "OCSP No Check") || !strings.Contains(out, "OCSP Signing") {
		t.Fatalf("openssl x509 -text:\n%s", out)
	}
}

func TestCertificatesServed(t *testing.T) {
	e := newEnv(t)
	for path, want := range map[string]*x509.Certificate{ncasim.PathRootCert: e.pki.Root(), ncasim.PathIssuingCert: e.pki.Issuing()} {
		resp, body := e.get(t, path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pkix-cert" || string(body) != string(want.Raw) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	// The issuing CA's AIA is where its issuer is served.
	if got := e.pki.Issuing().IssuingCertificateURL; !slices.Equal(got, []string{e.base + ncasim.PathRootCert}) {
		t.Errorf("issuing CA AIA %v", got)
	}
	// Beside the PKI, everything else goes to the other handler.
	resp, err := e.http.Get(strings.TrimSuffix(e.base, "/nca") + "/v1/sessions")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot {
		t.Errorf("outside the prefix: %d", resp.StatusCode)
	}
}

func writePEM(t testing.TB, dir, name string, certs ...*x509.Certificate) {
	t.Helper()
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	must(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
}

// openssl runs openssl in dir and returns its combined output; it fails the
// test when openssl fails.
func openssl(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := runOpenSSL(t, dir, args...)
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// opensslAny is openssl whatever its exit status.
func opensslAny(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, _ := runOpenSSL(t, dir, args...)
	return out
}

func runOpenSSL(t testing.TB, dir string, args ...string) (string, error) {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is missing in CI (make deps installs it)")
		}
		t.Skip("openssl not installed")
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}
