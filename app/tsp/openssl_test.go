package tsp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/cms"
)

// TestOpenSSLChecksOurTokens: openssl makes the query, Authority answers,
// openssl parses and verifies the reply (against the data, the query with
// its nonce, and as a bare token), and a Client token too.
func TestOpenSSLChecksOurTokens(t *testing.T) {
	openssl := needOpenSSL(t)
	p := newTestPKI(t, time.Now())
	a := p.authority(time.Now())
	f := files(t, map[string][]byte{"data": testData, "other": []byte("other"), "root.pem": certPEM(p.root), "tsa.pem": certPEM(p.tsa)})
	path := func(n string) string { return f["dir"] + "/" + n }

	runOpenSSL(t, openssl, "ts", "-query", "-data", f["data"], "-sha256", "-cert", "-out", path("req.tsq"))
	req, err := os.ReadFile(path("req.tsq"))
	if err != nil {
		t.Fatal(err)
	}
	resp := a.Respond(req)
	tok, err := checkReply(resp)
	if err != nil {
		t.Fatalf("reply to openssl's query: %v", err)
	}
	writeTo(t, path("resp.tsr"), resp)
	writeTo(t, path("token.der"), tok.Raw)

	text := runOpenSSL(t, openssl, "ts", "-reply", "-in", path("resp.tsr"), "-text")
	for _, want := range []string{"Status: Granted.", "Policy OID: 1.2.398.3.3.2.1", "Hash Algorithm: sha256",
		"Nonce: 0x", "TSA: DirName:", "Test TSA", "Ordering: no"} {
		if !strings.Contains(text, want) {
			t.Errorf("openssl ts -reply -text lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(text, "Accuracy: 0x01 seconds, 0x01F4 millis") {
		t.Errorf("accuracy 1.5 s not shown:\n%s", text)
	}
	verify := func(args ...string) (string, error) {
		args = append([]string{"ts", "-verify"}, append(args, "-CAfile", f["root.pem"], "-untrusted", f["tsa.pem"])...)
		out, err := exec.Command(openssl, args...).CombinedOutput()
		return string(out), err
	}
	for name, args := range map[string][]string{
		"reply against data":  {"-data", f["data"], "-in", path("resp.tsr")},
		"reply against query": {"-queryfile", path("req.tsq"), "-in", path("resp.tsr")},
		"bare token":          {"-data", f["data"], "-in", path("token.der"), "-token_in"},
	} {
		if out, err := verify(args...); err != nil || !strings.Contains(out, "Verification: OK") {
			t.Errorf("%s: openssl ts -verify: %v\n%s", name, err, out)
		}
	}
	if out, err := verify("-data", f["other"], "-in", path("resp.tsr")); err == nil || strings.Contains(out, "Verification: OK") {
		t.Errorf("openssl verified the token against other data:\n%s", out)
	}

	// openssl agrees that a non-critical EKU makes no TSA certificate.
	weak := *a
	weak.Cert = p.issueTSA(t, p.tsaKey, func(c *x509.Certificate) {
		c.ExtraExtensions = []pkix.Extension{ekuExtension(t, false, oidTimeStamping)}
	})
	writeTo(t, path("weak.tsr"), weak.Respond(req))
	writeTo(t, path("weak.pem"), certPEM(weak.Cert))
	if out, err := exec.Command(openssl, "ts", "-verify", "-queryfile", path("req.tsq"), "-in", path("weak.tsr"),
		"-CAfile", f["root.pem"], "-untrusted", path("weak.pem")).CombinedOutput(); err == nil || strings.Contains(string(out), "Verification: OK") {
		t.Errorf("openssl accepted a TSA certificate with a non-critical EKU:\n%s", out)
	}

	srv := serve(t, a)
	ctok, err := (&Client{URL: srv.URL, Policy: testPolicy}).Stamp(context.Background(), testData)
	if err != nil {
		t.Fatal(err)
	}
	writeTo(t, path("client.der"), ctok.Raw)
	if out, err := verify("-data", f["data"], "-in", path("client.der"), "-token_in"); err != nil || !strings.Contains(out, "Verification: OK") {
		t.Errorf("client token: openssl ts -verify: %v\n%s", err, out)
	}
}

// TestOpenSSLTokensVerify: tokens openssl's TSA makes (ESS v1 with SHA-1,
// its default, and v2 with SHA-256) pass Token.Verify.
func TestOpenSSLTokensVerify(t *testing.T) {
	openssl := needOpenSSL(t)
	p := newTestPKI(t, time.Now())
	f := files(t, map[string][]byte{"data": testData, "root.pem": certPEM(p.root), "tsa.pem": certPEM(p.tsa),
		"tsa.key": keyPEM(p.tsaKey), "serial": []byte("01\n")})
	path := func(n string) string { return f["dir"] + "/" + n }
	runOpenSSL(t, openssl, "ts", "-query", "-data", f["data"], "-sha384", "-cert", "-out", path("req.tsq"))
	for _, essAlg := range []string{"sha1", "sha256"} {
		conf := strings.Join([]string{
			"[ tsa ]", "default_tsa = tsa1", "[ tsa1 ]",
			"serial = " + f["serial"], "signer_cert = " + f["tsa.pem"], "signer_key = " + f["tsa.key"],
			"certs = " + f["root.pem"], "signer_digest = sha256", "default_policy = 1.2.398.3.3.2.1",
			"digests = sha256, sha384, sha512", "accuracy = secs:1, millisecs:500", "ordering = yes", "tsa_name = yes",
			"ess_cert_id_chain = no", "ess_cert_id_alg = " + essAlg, "",
		}, "\n")
		writeTo(t, path("tsa.cnf"), []byte(conf))
		runOpenSSL(t, openssl, "ts", "-reply", "-config", path("tsa.cnf"), "-queryfile", path("req.tsq"), "-out", path("resp.tsr"))
		resp, err := os.ReadFile(path("resp.tsr"))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := checkReply(resp)
		if err != nil {
			t.Fatalf("%s: %v", essAlg, err)
		}
		if err := tok.Verify(testData, VerifyOptions{Roots: p.roots}); err != nil {
			t.Errorf("ESS %s: Verify: %v", essAlg, err)
		}
		if tok.Accuracy != 1500*time.Millisecond || !tok.Ordering || tok.TSAName == "" || !tok.Policy.Equal(testPolicy) ||
			tok.GenTime.IsZero() || len(tok.Certificates) != 2 {
			t.Errorf("ESS %s: fields %+v", essAlg, tok)
		}
		if err := tok.Verify([]byte("other"), VerifyOptions{Roots: p.roots}); !errors.Is(err, ErrImprint) {
			t.Errorf("ESS %s: other data: %v", essAlg, err)
		}
	}
}

// TestTimeStampAsUnsignedAttribute: a signature time-stamp added to a
// SignDetached CMS keeps it valid for openssl, which shows the attribute,
// and reads back from it.
func TestTimeStampAsUnsignedAttribute(t *testing.T) {
	openssl := needOpenSSL(t)
	p := newTestPKI(t, time.Now())
	signerKey := genKey(t)
	signer := createCert(t, &x509.Certificate{
		SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "Signer", Country: []string{"KZ"}},
		NotBefore: p.now.Add(-time.Minute), NotAfter: p.now.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	}, p.root, &signerKey.PublicKey, p.rootKey)
	doc := make([]byte, 4096)
	if _, err := rand.Read(doc); err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(doc)
	sig, err := cms.SignDetached(digest[:], signerKey, signer, []*x509.Certificate{p.root}, p.now)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := cms.Parse(sig)
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, p.authority(time.Now()))
	tok, err := (&Client{URL: srv.URL}).Stamp(context.Background(), parsed.Signer.Signature)
	if err != nil {
		t.Fatal(err)
	}
	stamped, err := cms.AddUnsigned(sig, []cms.Attribute{{Type: OIDSignatureTimeStampToken,
		Values: []asn1.RawValue{{FullBytes: tok.Raw}}}}, []*x509.Certificate{p.tsa})
	if err != nil {
		t.Fatal(err)
	}

	f := files(t, map[string][]byte{"doc": doc, "sig.cms": stamped, "root.pem": certPEM(p.root)})
	out := runOpenSSL(t, openssl, "cms", "-verify", "-binary", "-content", f["doc"], "-inform", "DER", "-in", f["sig.cms"],
		"-CAfile", f["root.pem"], "-purpose", "any", "-out", f["dir"]+"/out")
	if !strings.Contains(out, "Verification successful") {
		t.Errorf("openssl cms -verify: %s", out)
	}
	printed := runOpenSSL(t, openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", f["sig.cms"])
	i := strings.Index(printed, "unsignedAttrs:")
	if i < 0 || !strings.Contains(printed[i:], "id-smime-aa-timeStampToken (1.2.840.113549.1.9.16.2.14)") {
		t.Errorf("openssl does not show the time-stamp attribute:\n%s", printed)
	}

	back, err := cms.Parse(stamped)
	if err != nil {
		t.Fatal(err)
	}
	vals := back.UnsignedValues(OIDSignatureTimeStampToken)
	if len(vals) != 1 {
		t.Fatalf("%d time-stamp values", len(vals))
	}
	again, err := ParseToken(vals[0].FullBytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Verify(back.Signer.Signature, VerifyOptions{Roots: p.roots}); err != nil {
		t.Errorf("token from the attribute: %v", err)
	}
	if _, err := cms.Verify(stamped, doc, p.roots); err != nil {
		t.Errorf("cms.Verify after the time stamp: %v", err)
	}
	if len(back.Certificates) != 3 {
		t.Errorf("%d certificates, want signer, root and TSA", len(back.Certificates))
	}
}

func writeTo(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
