package ncasim

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ocsp"
)

// seeds are requests as x/crypto sends them (SHA-1, one CertID) and as
// openssl does (SHA-256, two CertIDs, a nonce).
func seeds(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, name := range []string{"ocsp-request-xcrypto.der", "ocsp-request-openssl.der"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func FuzzParseOCSPRequest(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		req, err := parseOCSPRequest(der)
		if err != nil {
			return
		}
		if len(req.certs) == 0 || len(req.certs) > maxCertIDs {
			t.Fatalf("%d CertIDs accepted", len(req.certs))
		}
		for _, c := range req.certs {
			if c.serial == nil || !bytes.Contains(der, c.raw) {
				t.Fatal("a CertID without a serial, or not from the input")
			}
		}
		if req.nonce != nil {
			var n []byte
			if rest, err := asn1.Unmarshal(req.nonce.Value, &n); err != nil || len(rest) != 0 || len(n) < 1 || len(n) > maxNonceBytes {
				t.Fatalf("nonce %x accepted", req.nonce.Value)
			}
		}
		// Where x/crypto reads the request too, both read the same first CertID.
		if x, err := ocsp.ParseRequest(der); err == nil {
			c := req.certs[0]
			if x.SerialNumber.Cmp(c.serial) != 0 || !bytes.Equal(x.IssuerNameHash, c.nameHash) ||
				!bytes.Equal(x.IssuerKeyHash, c.keyHash) || !c.hashRecognised || x.HashAlgorithm != c.hash {
				t.Fatalf("x/crypto reads %+v, we read %+v", x, c)
			}
		}
	})
}

func FuzzOCSPFromPath(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(url.PathEscape(base64.StdEncoding.EncodeToString(s)))
		f.Add(base64.RawStdEncoding.EncodeToString(s))
	}
	f.Add("MA//")
	f.Add("%2F%2B%3D")
	f.Add("")
	f.Fuzz(func(t *testing.T, escaped string) {
		der, err := ocspFromPath(escaped)
		if err != nil {
			return
		}
		// Whatever decodes encodes back to the unescaped path, padding aside.
		s, _ := url.PathUnescape(escaped)
		if got := base64.RawStdEncoding.EncodeToString(der); got != string(bytes.TrimRight([]byte(s), "=")) {
			t.Fatalf("%q decoded to %x, which encodes as %q", escaped, der, got)
		}
	})
}

// The seeds are what they claim: requests the parser reads, openssl's with
// two CertIDs and a 16-byte nonce.
func TestSeeds(t *testing.T) {
	s := seeds(t)
	x, err := parseOCSPRequest(s[0])
	if err != nil || len(x.certs) != 1 || x.nonce != nil || x.certs[0].hash != crypto.SHA1 {
		t.Fatalf("x/crypto seed: %v %+v", err, x)
	}
	o, err := parseOCSPRequest(s[1])
	if err != nil || len(o.certs) != 2 || o.nonce == nil || len(o.nonce.Value) != 18 || o.certs[1].hash != crypto.SHA256 {
		t.Fatalf("openssl seed: %v %+v", err, o)
	}
}
