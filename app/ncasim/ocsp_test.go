package ncasim_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"almatel.kz/signkiosk/app/ncasim"
)

// post sends an OCSP request body and returns the status and answer.
func (e *env) postOCSP(t testing.TB, der []byte) (int, []byte) {
	t.Helper()
	resp, err := e.http.Post(e.base+ncasim.PathOCSP, "application/ocsp-request", bytes.NewReader(der))
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, b
}

// getOCSP sends the request the RFC 6960 A.1 way: url-encoded base64 in the path.
func (e *env) getOCSP(t testing.TB, der []byte) (int, []byte) {
	t.Helper()
	resp, body := e.get(t, ncasim.PathOCSP+"/"+url.PathEscape(base64.StdEncoding.EncodeToString(der)))
	return resp.StatusCode, body
}

func (e *env) ask(t testing.TB, cert *x509.Certificate, get bool) *ocsp.Response {
	t.Helper()
	req, err := ocsp.CreateRequest(cert, e.pki.Issuing(), &ocsp.RequestOptions{Hash: crypto.SHA256})
	must(t, err)
	send := e.postOCSP
	if get {
		send = e.getOCSP
	}
	code, body := send(t, req)
	if code != http.StatusOK {
		t.Fatalf("OCSP: HTTP %d", code)
	}
	// x/crypto checks the signature, and that the responder certificate it
	// carries is the issuing CA's.
	resp, err := ocsp.ParseResponseForCert(body, cert, e.pki.Issuing())
	must(t, err)
	if resp.Certificate == nil || !resp.Certificate.Equal(e.pki.OCSPCert()) {
		t.Fatal("the response does not carry the responder certificate")
	}
	return resp
}

func TestOCSPGoodRevokedUnknown(t *testing.T) {
	e := newEnv(t)
	sub, _ := e.subscriber(t)
	for _, get := range []bool{false, true} {
		r := e.ask(t, sub, get)
		now := e.clock.Now()
		if r.Status != ocsp.Good || r.SerialNumber.Cmp(sub.SerialNumber) != 0 || !r.ThisUpdate.Equal(now) ||
			!r.ProducedAt.Equal(now) || !r.NextUpdate.Equal(now.Add(24*time.Hour)) {
			t.Fatalf("get=%v: %+v", get, r)
		}
	}

	// Another CA's certificate with the same serial: unknown.
	other := foreignCert(t, sub.SerialNumber)
	req, err := ocsp.CreateRequest(other, other, nil)
	must(t, err)
	code, body := e.postOCSP(t, req)
	r, err := ocsp.ParseResponse(body, nil)
	if code != http.StatusOK || err != nil || r.Status != ocsp.Unknown {
		t.Fatalf("foreign issuer: %d %v %+v", code, err, r)
	}
	// A serial this CA never issued: unknown too.
	never := *sub
	never.SerialNumber = big.NewInt(42)
	if r := e.ask(t, &never, false); r.Status != ocsp.Unknown {
		t.Fatalf("never issued: status %d", r.Status)
	}

	e.clock.Advance(time.Minute)
	at := e.clock.Now().Add(-30 * time.Second)
	e.pki.Revoke(sub.SerialNumber, at, ocsp.KeyCompromise)
	e.pki.Revoke(sub.SerialNumber, at.Add(time.Hour), ocsp.Superseded) // final: no change
	for _, get := range []bool{false, true} {
		r := e.ask(t, sub, get)
		if r.Status != ocsp.Revoked || !r.RevokedAt.Equal(at) || r.RevocationReason != ocsp.KeyCompromise {
			t.Fatalf("revoked, get=%v: %+v", get, r)
		}
	}
}

func foreignCert(t testing.TB, serial *big.Int) *x509.Certificate {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "other"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	c, err := x509.ParseCertificate(der)
	must(t, err)
	return c
}

// Request and response shapes for the nonce, which x/crypto neither sends
// nor reads.
type testRequest struct {
	TBS struct {
		List       []asn1.RawValue
		Extensions []pkix.Extension `asn1:"explicit,tag:2,optional"`
	}
}

type testResponse struct {
	Status asn1.Enumerated
	Bytes  struct {
		Type  asn1.ObjectIdentifier
		Basic []byte
	} `asn1:"explicit,tag:0"`
}

type testBasic struct {
	TBS struct {
		ResponderID asn1.RawValue
		ProducedAt  time.Time `asn1:"generalized"`
		Responses   []asn1.RawValue
		Extensions  []pkix.Extension `asn1:"explicit,tag:1,optional"`
	}
}

// withNonce adds a nonce request extension to x/crypto's request.
func withNonce(t testing.TB, req []byte, nonce []byte) []byte {
	t.Helper()
	var r testRequest
	_, err := asn1.Unmarshal(req, &r)
	must(t, err)
	v, err := asn1.Marshal(nonce)
	must(t, err)
	r.TBS.Extensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}, Value: v}}
	out, err := asn1.Marshal(r)
	must(t, err)
	return out
}

func responseExtensions(t testing.TB, resp []byte) []pkix.Extension {
	t.Helper()
	var r testResponse
	_, err := asn1.Unmarshal(resp, &r)
	must(t, err)
	var b testBasic
	_, err = asn1.Unmarshal(r.Bytes.Basic, &b)
	must(t, err)
	return b.TBS.Extensions
}

func TestOCSPNonce(t *testing.T) {
	e := newEnv(t)
	sub, _ := e.subscriber(t)
	plain, err := ocsp.CreateRequest(sub, e.pki.Issuing(), nil)
	must(t, err)
	nonce := []byte("0123456789abcdef")
	req := withNonce(t, plain, nonce)
	for _, send := range []func(testing.TB, []byte) (int, []byte){e.postOCSP, e.getOCSP} {
		code, body := send(t, req)
		if code != http.StatusOK {
			t.Fatalf("HTTP %d", code)
		}
		if r, err := ocsp.ParseResponseForCert(body, sub, e.pki.Issuing()); err != nil || r.Status != ocsp.Good {
			t.Fatalf("%v %+v", err, r)
		}
		exts := responseExtensions(t, body)
		var got []byte
		if len(exts) == 1 {
			_, err = asn1.Unmarshal(exts[0].Value, &got)
		}
		if len(exts) != 1 || err != nil || !bytes.Equal(got, nonce) {
			t.Fatalf("response extensions %+v, want the nonce echoed", exts)
		}
	}
	// Without a nonce, none in the answer.
	_, body := e.postOCSP(t, plain)
	if exts := responseExtensions(t, body); len(exts) != 0 {
		t.Fatalf("extensions without a nonce asked: %+v", exts)
	}
	// RFC 8954: a nonce over 32 bytes is a malformed request.
	code, body := e.postOCSP(t, withNonce(t, plain, bytes.Repeat([]byte{7}, 33)))
	if code != http.StatusBadRequest || !bytes.Equal(body, ocsp.MalformedRequestErrorResponse) {
		t.Fatalf("long nonce: %d %x", code, body)
	}
}

func TestOCSPMalformedAndDown(t *testing.T) {
	e := newEnv(t)
	sub, _ := e.subscriber(t)
	for name, send := range map[string]func() (int, []byte){
		"post garbage": func() (int, []byte) { return e.postOCSP(t, []byte("not DER")) },
		"get not DER":  func() (int, []byte) { return e.getOCSP(t, []byte("x")) },
		"get not b64":  func() (int, []byte) { r, b := e.get(t, ncasim.PathOCSP+"/!!!!"); return r.StatusCode, b },
		"post too big": func() (int, []byte) { return e.postOCSP(t, make([]byte, 17<<10)) },
	} {
		code, body := send()
		if code != http.StatusBadRequest || !bytes.Equal(body, ocsp.MalformedRequestErrorResponse) {
			t.Errorf("%s: %d %x", name, code, body)
		}
	}
	// A base64 with "//" in it survives the path (no mux cleaning it away).
	if got, _ := e.get(t, ncasim.PathOCSP+"/MA//"); got.StatusCode != http.StatusBadRequest {
		t.Errorf("GET with //: %d", got.StatusCode)
	}

	e.pki.SetOCSPDown(sub.SerialNumber)
	req, err := ocsp.CreateRequest(sub, e.pki.Issuing(), nil)
	must(t, err)
	if code, _ := e.postOCSP(t, req); code != http.StatusServiceUnavailable {
		t.Fatalf("down trigger: %d", code)
	}
	other, _ := e.subscriber(t)
	if r := e.ask(t, other, false); r.Status != ocsp.Good {
		t.Fatal("the down trigger took another certificate down")
	}
}

// openssl, an independent client, asks over HTTP with its own nonce and
// checks the answer against the root.
func TestOCSPOpenSSL(t *testing.T) {
	e := newEnv(t)
	sub, _ := e.subscriber(t)
	revoked, _ := e.subscriber(t)
	e.pki.Revoke(revoked.SerialNumber, e.clock.Now(), ocsp.KeyCompromise)
	dir := t.TempDir()
	writePEM(t, dir, "root.pem", e.pki.Root())
	writePEM(t, dir, "issuing.pem", e.pki.Issuing())
	writePEM(t, dir, "sub.pem", sub)
	writePEM(t, dir, "revoked.pem", revoked)
	// The PKI's clock is in 2026; openssl checks times against its own.
	attime := strconv.FormatInt(e.clock.Now().Unix(), 10)
	out := openssl(t, dir, "ocsp", "-url", e.base+ncasim.PathOCSP, "-issuer", "issuing.pem", "-cert", "sub.pem",
		"-CAfile", "root.pem", "-resp_text", "-respout", "resp.der", "-attime", attime, "-validity_period", "1000000000")
	for _, want := range []string{"Response verify OK", "sub.pem: good", "OCSP Nonce"} {
		if !strings.Contains(out, want) {
			t.Fatalf("no %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "WARNING") {
		t.Fatalf("openssl warns:\n%s", out)
	}
	if os.Getenv("NCASIM_SHOW") != "" {
		t.Log(out)
	}
	// The saved answer verifies on its own too.
	out = openssl(t, dir, "ocsp", "-respin", "resp.der", "-CAfile", "root.pem", "-issuer", "issuing.pem",
		"-cert", "sub.pem", "-attime", attime, "-validity_period", "1000000000", "-no_nonce")
	if !strings.Contains(out, "Response verify OK") || !strings.Contains(out, "sub.pem: good") {
		t.Fatalf("-respin:\n%s", out)
	}
	out = openssl(t, dir, "ocsp", "-url", e.base+ncasim.PathOCSP, "-issuer", "issuing.pem", "-cert", "revoked.pem",
		"-CAfile", "root.pem", "-attime", attime, "-validity_period", "1000000000")
	if !strings.Contains(out, "Response verify OK") || !strings.Contains(out, "revoked.pem: revoked") ||
		!strings.Contains(out, "Reason: keyCompromise") {
		t.Fatalf("revoked:\n%s", out)
	}
	// A root openssl was not given: the answer does not verify.
	other := foreignCert(t, big.NewInt(1))
	writePEM(t, dir, "other.pem", other)
	out = opensslAny(t, dir, "ocsp", "-respin", "resp.der", "-CAfile", "other.pem", "-issuer", "issuing.pem",
		"-cert", "sub.pem", "-attime", attime, "-no_nonce")
	if strings.Contains(out, "Response verify OK") || !strings.Contains(out, "Response Verify Failure") {
		t.Fatalf("verified against another root:\n%s", out)
	}
}
