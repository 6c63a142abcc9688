package ncasim_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"almatel.kz/signkiosk/app/ncasim"
)

// crl fetches and checks one CRL: DER, application/pkix-crl, signed by issuer.
func (e *env) crl(t testing.TB, path string, issuer *x509.Certificate) (*x509.RevocationList, []byte) {
	t.Helper()
	resp, body := e.get(t, path)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pkix-crl" {
		t.Fatalf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	l, err := x509.ParseRevocationList(body)
	must(t, err)
	must(t, l.CheckSignatureFrom(issuer))
	return l, body
}

func serials(l *x509.RevocationList) []string {
	var s []string
	for _, r := range l.RevokedCertificateEntries {
		s = append(s, r.SerialNumber.String())
	}
	return s
}

// deltaBase reads a delta CRL's indicator (critical), or -1 for a base CRL.
func deltaBase(t testing.TB, l *x509.RevocationList) int64 {
	t.Helper()
	for _, ext := range l.Extensions {
		if ext.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 27}) {
			var n *big.Int
			if _, err := asn1.Unmarshal(ext.Value, &n); err != nil || !ext.Critical {
				t.Fatalf("delta CRL indicator: %v, critical %v", err, ext.Critical)
			}
			return n.Int64()
		}
	}
	return -1
}

func TestBaseAndDeltaCRL(t *testing.T) {
	e := newEnv(t)
	a, _ := e.subscriber(t)
	b, _ := e.subscriber(t)
	iss := e.pki.Issuing()

	base, _ := e.crl(t, ncasim.PathCRL, iss)
	now := e.clock.Now()
	if len(base.RevokedCertificateEntries) != 0 || deltaBase(t, base) != -1 || !base.ThisUpdate.Equal(now) ||
		!base.NextUpdate.Equal(now.Add(24*time.Hour)) {
		t.Fatalf("first base: %v, %v – %v", serials(base), base.ThisUpdate, base.NextUpdate)
	}
	if f := base.Extensions; !hasExt(f, asn1.ObjectIdentifier{2, 5, 29, 46}) {
		t.Error("the base CRL does not point at the delta")
	}

	// A revocation after the base: the delta lists it, the base does not.
	e.clock.Advance(time.Minute)
	e.pki.Revoke(a.SerialNumber, e.clock.Now(), ocsp.KeyCompromise)
	delta, _ := e.crl(t, ncasim.PathDeltaCRL, iss)
	if got := serials(delta); len(got) != 1 || got[0] != a.SerialNumber.String() ||
		delta.RevokedCertificateEntries[0].ReasonCode != ocsp.KeyCompromise {
		t.Fatalf("delta lists %v", got)
	}
	if deltaBase(t, delta) != base.Number.Int64() || delta.Number.Cmp(base.Number) <= 0 {
		t.Fatalf("delta %v names base %d, base is %v", delta.Number, deltaBase(t, delta), base.Number)
	}
	if again, _ := e.crl(t, ncasim.PathCRL, iss); again.Number.Cmp(base.Number) != 0 || len(again.RevokedCertificateEntries) != 0 {
		t.Fatalf("the base changed before its nextUpdate: %v %v", again.Number, serials(again))
	}
	// Another revocation: a new delta (a higher number) with both.
	e.pki.Revoke(b.SerialNumber, e.clock.Now(), ocsp.CessationOfOperation)
	delta2, _ := e.crl(t, ncasim.PathDeltaCRL, iss)
	if len(delta2.RevokedCertificateEntries) != 2 || delta2.Number.Cmp(delta.Number) <= 0 {
		t.Fatalf("second delta %v: %v", delta2.Number, serials(delta2))
	}
	// Asked again with nothing new, the same delta.
	if same, _ := e.crl(t, ncasim.PathDeltaCRL, iss); same.Number.Cmp(delta2.Number) != 0 {
		t.Fatal("the delta was remade with nothing new")
	}

	// After the base's nextUpdate: a new base with both, and an empty delta
	// naming it.
	e.clock.Advance(24 * time.Hour)
	base2, _ := e.crl(t, ncasim.PathCRL, iss)
	if len(base2.RevokedCertificateEntries) != 2 || base2.Number.Cmp(delta2.Number) <= 0 {
		t.Fatalf("new base %v: %v", base2.Number, serials(base2))
	}
	delta3, _ := e.crl(t, ncasim.PathDeltaCRL, iss)
	if len(delta3.RevokedCertificateEntries) != 0 || deltaBase(t, delta3) != base2.Number.Int64() {
		t.Fatalf("delta after the new base: %v, names %d", serials(delta3), deltaBase(t, delta3))
	}

	// The root's CRL, where the issuing CA's CDP points.
	root, _ := e.crl(t, ncasim.PathRootCRL, e.pki.Root())
	if len(root.RevokedCertificateEntries) != 0 || e.pki.Issuing().CRLDistributionPoints[0] != e.base+ncasim.PathRootCRL {
		t.Fatal("root CRL")
	}
}

// The base is published when the PKI starts: a revocation before anyone
// fetched a CRL is still in the delta.
func TestDeltaBeforeAnyFetch(t *testing.T) {
	e := newEnv(t)
	sub, _ := e.subscriber(t)
	e.clock.Advance(time.Minute)
	e.pki.Revoke(sub.SerialNumber, e.clock.Now(), ocsp.KeyCompromise)
	delta, _ := e.crl(t, ncasim.PathDeltaCRL, e.pki.Issuing())
	base, _ := e.crl(t, ncasim.PathCRL, e.pki.Issuing())
	if len(delta.RevokedCertificateEntries) != 1 || len(base.RevokedCertificateEntries) != 0 ||
		!base.ThisUpdate.Equal(e.clock.Now().Add(-time.Minute)) {
		t.Fatalf("delta %v, base %v from %v", serials(delta), serials(base), base.ThisUpdate)
	}
}

func hasExt(exts []pkix.Extension, id asn1.ObjectIdentifier) bool {
	for _, e := range exts {
		if e.Id.Equal(id) {
			return true
		}
	}
	return false
}

func TestCRLOpenSSL(t *testing.T) {
	e := newEnv(t)
	sub, _ := e.subscriber(t)
	e.crl(t, ncasim.PathCRL, e.pki.Issuing())
	e.pki.Revoke(sub.SerialNumber, e.clock.Now(), ocsp.KeyCompromise)
	dir := t.TempDir()
	_, delta := e.crl(t, ncasim.PathDeltaCRL, e.pki.Issuing())
	must(t, os.WriteFile(filepath.Join(dir, "delta.crl"), delta, 0o600))
	writePEM(t, dir, "issuing.pem", e.pki.Issuing())
	out := openssl(t, dir, "crl", "-inform", "DER", "-in", "delta.crl", "-text", "-noout", "-CAfile", "issuing.pem")
	for _, want := range []string{"verify OK", "X509v3 Delta CRL Indicator: critical", "Key Compromise",
		strings.ToUpper(sub.SerialNumber.Text(16))} {
		if !strings.Contains(out, want) {
			t.Fatalf("no %q in:\n%s", want, out)
		}
	}
	_, base := e.crl(t, ncasim.PathCRL, e.pki.Issuing())
	must(t, os.WriteFile(filepath.Join(dir, "base.crl"), base, 0o600))
	out = openssl(t, dir, "crl", "-inform", "DER", "-in", "base.crl", "-text", "-noout")
	if !strings.Contains(out, "X509v3 Freshest CRL") || !strings.Contains(out, e.base+ncasim.PathDeltaCRL) ||
		strings.Contains(out, "Delta CRL Indicator") {
		t.Fatalf("base CRL:\n%s", out)
	}
}
