package tsp

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPolicy has the shape of the national CA's TSA policies (1.2.398.3.3.2.x).
var testPolicy = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2, 1}

// testPKI is a throwaway root and a TSA certificate, valid around now
// (the real clock where openssl checks them).
type testPKI struct {
	now     time.Time
	rootKey *rsa.PrivateKey
	root    *x509.Certificate
	roots   *x509.CertPool
	tsaKey  *rsa.PrivateKey
	tsa     *x509.Certificate
}

func newTestPKI(t testing.TB, now time.Time) *testPKI {
	t.Helper()
	p := &testPKI{now: now.UTC().Truncate(time.Second), rootKey: genKey(t)}
	p.root = createCert(t, &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Root CA", Country: []string{"KZ"}},
		NotBefore: p.now.Add(-time.Hour), NotAfter: p.now.AddDate(2, 0, 0),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
	}, nil, &p.rootKey.PublicKey, p.rootKey)
	p.roots = x509.NewCertPool()
	p.roots.AddCert(p.root)
	p.tsaKey = genKey(t)
	p.tsa = p.issueTSA(t, p.tsaKey, nil)
	return p
}

// issueTSA issues a TSA certificate with a critical timeStamping EKU;
// edit may change the template first.
func (p *testPKI) issueTSA(t testing.TB, key *rsa.PrivateKey, edit func(*x509.Certificate)) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1001),
		Subject:      pkix.Name{CommonName: "Test TSA", Organization: []string{"Simulated CA"}, Country: []string{"KZ"}},
		NotBefore:    p.now.Add(-time.Minute), NotAfter: p.now.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature,
		// Go does not mark the EKU critical; an ExtraExtensions entry with
		// its OID replaces the generated one.
		ExtraExtensions: []pkix.Extension{ekuExtension(t, true, oidTimeStamping)},
	}
	if edit != nil {
		edit(tmpl)
	}
	return createCert(t, tmpl, p.root, &key.PublicKey, p.rootKey)
}

func ekuExtension(t testing.TB, critical bool, oids ...asn1.ObjectIdentifier) pkix.Extension {
	t.Helper()
	v, err := asn1.Marshal(oids)
	if err != nil {
		t.Fatal(err)
	}
	return pkix.Extension{Id: oidExtKeyUsage, Critical: critical, Value: v}
}

func (p *testPKI) authority(clock time.Time) *Authority {
	return &Authority{
		Signer: p.tsaKey, Cert: p.tsa, Chain: []*x509.Certificate{p.root}, Policy: testPolicy,
		Now: func() time.Time { return clock }, Accuracy: 1500 * time.Millisecond,
	}
}

func genKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func createCert(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serve runs h on an httptest server for the test.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func needOpenSSL(t *testing.T) string {
	t.Helper()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is missing in CI (make deps installs it)")
		}
		t.Skip("openssl not installed")
	}
	return openssl
}

func runOpenSSL(t *testing.T, openssl string, args ...string) string {
	t.Helper()
	out, err := exec.Command(openssl, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// files writes name → content into a temp dir and returns the paths.
func files(t *testing.T, m map[string][]byte) map[string]string {
	t.Helper()
	dir := t.TempDir()
	out := map[string]string{}
	for name, b := range m {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		out[name] = path
	}
	out["dir"] = dir
	return out
}

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func keyPEM(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}
