package cms

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDetached(t *testing.T) {
	p := newPKI(t)
	der := p.sign(t, testContent)
	got, err := Parse(der)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !bytes.Equal(got.Raw, der) || !got.EContentType.Equal(oidData) || got.EContent != nil {
		t.Errorf("content: type %v, eContent %x", got.EContentType, got.EContent)
	}
	if len(got.Certificates) != 2 || !got.Certificates[0].Equal(p.cert) || !got.Certificates[1].Equal(p.ca) {
		t.Errorf("certificates: %d", len(got.Certificates))
	}
	if c := got.SignerCert(); c == nil || !c.Equal(p.cert) {
		t.Error("SignerCert is not the signer")
	}
	s := got.Signer
	if !bytes.Equal(s.IssuerRaw, p.cert.RawIssuer) || s.Serial.Int64() != 42 ||
		!s.DigestAlgorithm.Equal(oidSHA256) || !s.SignatureAlgorithm.Equal(oidRSAEncryption) {
		t.Errorf("signer: %+v", s)
	}
	if len(s.Signed) != 4 || len(s.Signature) != 256 || s.Unsigned != nil {
		t.Errorf("%d signed attributes, %d-byte signature, unsigned %v", len(s.Signed), len(s.Signature), s.Unsigned)
	}
	// The signature covers SignedAttrs exactly.
	if err := p.cert.CheckSignature(x509.SHA256WithRSA, s.SignedAttrs, s.Signature); err != nil || s.SignedAttrs[0] != 0x31 {
		t.Errorf("SignedAttrs is not what was signed: %v", err)
	}
	v, ok := got.SignedValue(oidMessageDigest)
	var md []byte
	if !ok || UnmarshalAll(v.FullBytes, &md) != nil || !bytes.Equal(md, sha256Of(testContent)) {
		t.Errorf("message-digest value %x", v.FullBytes)
	}
	if _, ok := got.SignedValue(asn1.ObjectIdentifier{1, 2, 3}); ok {
		t.Error("SignedValue found an absent attribute")
	}
	if got.UnsignedValues(oidSigningTime) != nil {
		t.Error("UnsignedValues found an absent attribute")
	}
	if c, err := got.VerifySignerInfo(testContent); err != nil || !c.Equal(p.cert) {
		t.Errorf("VerifySignerInfo: %v", err)
	}
}

func TestParseRefuses(t *testing.T) {
	p := newPKI(t)
	der := p.sign(t, testContent)
	si := func(edit func(*signerInfo)) []byte {
		return rewrite(t, der, func(sd *signedData) { edit(&sd.SignerInfos[0]) })
	}
	setAttrs := func(attrs ...[]byte) func(*signerInfo) {
		return func(s *signerInfo) {
			s.SignedAttrs = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: bytes.Join(attrs, nil)}
		}
	}
	ct, _ := asn1.Marshal(Attribute{Type: oidContentType, Values: []asn1.RawValue{{FullBytes: mustMarshal(t, oidData)}}})
	empty, _ := asn1.Marshal(Attribute{Type: oidContentType})
	notSignedData, _ := asn1.Marshal(contentInfo{ContentType: oidData,
		Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: mustMarshal(t, []byte("x"))}})
	ski := rewriteRaw(t, der, func(sd *parsedSignedData) {
		var si parsedSignerInfo
		if err := UnmarshalAll(sd.SignerInfos[0].FullBytes, &si); err != nil {
			t.Fatal(err)
		}
		si.Version = 3
		si.SID = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: []byte{1, 2, 3, 4}}
		sd.SignerInfos[0] = asn1.RawValue{FullBytes: mustMarshal(t, si)}
	})

	var ci contentInfo
	var sdSeq asn1.RawValue
	if UnmarshalAll(der, &ci) != nil || UnmarshalAll(ci.Content.Bytes, &sdSeq) != nil {
		t.Fatal("cannot split the CMS")
	}
	extraInSignedData := constructed(asn1.ClassUniversal, asn1.TagSequence, mustMarshal(t, oidSignedData),
		constructed(asn1.ClassContextSpecific, 0, constructed(asn1.ClassUniversal, asn1.TagSequence, sdSeq.Bytes, []byte{5, 0})))

	for _, tc := range []struct {
		name string
		der  []byte
		want error
	}{
		{"trailing data", append(bytes.Clone(der), 0), ErrMalformed},
		{"truncated", der[:len(der)-1], ErrMalformed},
		{"over 1 MiB", append(bytes.Clone(der), make([]byte, maxCMSBytes)...), ErrMalformed},
		{"not signed-data", notSignedData, ErrUnsupported},
		{"two signers", rewrite(t, der, func(sd *signedData) { sd.SignerInfos = append(sd.SignerInfos, sd.SignerInfos[0]) }), ErrUnsupported},
		{"version 2", rewrite(t, der, func(sd *signedData) { sd.Version = 2 }), ErrUnsupported},
		{"signer version 3", si(func(s *signerInfo) { s.Version = 3 }), ErrMalformed},
		{"subject key identifier", ski, ErrUnsupported},
		{"repeated signed attribute", si(setAttrs(ct, ct)), ErrMalformed},
		{"attribute without value", si(setAttrs(empty)), ErrMalformed},
		{"extra element in signer info", rewriteRaw(t, der, func(sd *parsedSignedData) {
			sd.SignerInfos[0] = asn1.RawValue{FullBytes: constructed(asn1.ClassUniversal, asn1.TagSequence, sd.SignerInfos[0].Bytes, []byte{5, 0})}
		}), ErrMalformed},
		{"extra element in signed data", extraInSignedData, ErrMalformed},
		{"bad certificate", rewrite(t, der, func(sd *signedData) {
			sd.Certificates = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: []byte{0x30, 0}}
		}), ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse(tc.der); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// rewriteRaw is rewrite with the signer infos left raw.
func rewriteRaw(t *testing.T, der []byte, edit func(*parsedSignedData)) []byte {
	t.Helper()
	var ci contentInfo
	if err := UnmarshalAll(der, &ci); err != nil {
		t.Fatal(err)
	}
	var sd parsedSignedData
	if err := UnmarshalAll(ci.Content.Bytes, &sd); err != nil {
		t.Fatal(err)
	}
	edit(&sd)
	return mustMarshal(t, contentInfo{ContentType: oidSignedData,
		Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: mustMarshal(t, sd)}})
}

func sha256Of(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifySignerInfoFailures(t *testing.T) {
	p := newPKI(t)
	der := p.sign(t, testContent)
	other := p.issue(t, 43, genKey(t))
	parsed, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := parsed.VerifySignerInfoWith(other, testContent); !errors.Is(err, ErrNoSigner) {
		t.Errorf("another certificate: %v", err)
	}
	if _, err := parsed.VerifySignerInfo([]byte("other")); !errors.Is(err, ErrContentDigest) {
		t.Errorf("other content: %v", err)
	}
	mismatched := rewrite(t, der, func(sd *signedData) {
		sd.SignerInfos[0].SignatureAlgorithm.Algorithm = oidSHA384WithRSA
		sd.SignerInfos[0].SignatureAlgorithm.Parameters = asn1.RawValue{}
	})
	mp, err := Parse(mismatched)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mp.VerifySignerInfo(testContent); !errors.Is(err, ErrUnsupported) {
		t.Errorf("sha384WithRSA over a SHA-256 digest: %v", err)
	}
	// An ESS issuerSerial naming another serial, the hash still right and
	// the attributes properly signed.
	wrongSerial := *p.cert
	wrongSerial.SerialNumber = big.NewInt(99)
	attrs, err := attributesFor(oidData, sha256Of(testContent), &wrongSerial, &p.signing)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(attrs)
	sig, err := p.key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	ess := rewrite(t, der, func(sd *signedData) {
		implicit := bytes.Clone(attrs)
		implicit[0] = 0xA0
		sd.SignerInfos[0].SignedAttrs = asn1.RawValue{FullBytes: implicit}
		sd.SignerInfos[0].Signature = sig
	})
	ep, err := Parse(ess)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ep.VerifySignerInfo(testContent); !errors.Is(err, ErrCertHash) {
		t.Errorf("issuerSerial with another serial: %v", err)
	}

	badSig := rewrite(t, der, func(sd *signedData) { sd.SignerInfos[0].Signature[10] ^= 1 })
	bp, err := Parse(badSig)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bp.VerifySignerInfo(testContent); !errors.Is(err, ErrSignature) {
		t.Errorf("flipped signature bit: %v", err)
	}
}

// TestVerifySignerInfoOpenSSL reads signatures another implementation made:
// openssl cms -sign -cades (signing-certificate-v2, SHA-384, detached and
// encapsulated) and without -cades (no ESS attribute: refused).
func TestVerifySignerInfoOpenSSL(t *testing.T) {
	openssl := needOpenSSL(t)
	p := newPKI(t)
	dir := t.TempDir()
	doc, cert, key := filepath.Join(dir, "doc"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeFile(t, doc, testContent)
	writeFile(t, cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.cert.Raw}))
	writeFile(t, key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(p.key)}))
	sign := func(extra ...string) *Parsed {
		t.Helper()
		out := filepath.Join(dir, "sig.der")
		args := append([]string{"cms", "-sign", "-binary", "-in", doc, "-signer", cert, "-inkey", key, "-outform", "DER", "-out", out}, extra...)
		if b, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, b)
		}
		der, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := Parse(der)
		if err != nil {
			t.Fatalf("Parse openssl %v: %v", extra, err)
		}
		return parsed
	}
	detached := sign("-cades", "-md", "sha384")
	if c, err := detached.VerifySignerInfo(testContent); err != nil || !c.Equal(p.cert) {
		t.Errorf("openssl -cades sha384 detached: %v", err)
	}
	if _, err := detached.VerifySignerInfo(testContent[1:]); !errors.Is(err, ErrContentDigest) {
		t.Errorf("other content: %v", err)
	}
	attached := sign("-cades", "-nodetach")
	if !bytes.Equal(attached.EContent, testContent) {
		t.Errorf("eContent %q", attached.EContent)
	}
	if _, err := attached.VerifySignerInfo(nil); err != nil {
		t.Errorf("openssl -cades -nodetach: %v", err)
	}
	if _, err := attached.VerifySignerInfo([]byte("other")); !errors.Is(err, ErrContentDigest) {
		t.Errorf("encapsulated with other content given: %v", err)
	}
	if _, err := sign().VerifySignerInfo(testContent); !errors.Is(err, ErrMalformed) {
		t.Errorf("no signing-certificate attribute: %v", err)
	}
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

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func runOpenSSL(t *testing.T, openssl string, args ...string) string {
	t.Helper()
	out, err := exec.Command(openssl, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

const fixtureEncapsulated = "testdata/fuzz-encapsulated.cms"

// FuzzParse: Parse never panics; what it accepts keeps its invariants, and
// AddUnsigned on it keeps the signed bytes. Seeds: SignDetached's fixture
// and an encapsulated signature with an unsigned attribute (rewritten with
// -update by TestEncapsulatedFixture).
func FuzzParse(f *testing.F) {
	der, _ := fuzzFixtures(f)
	enc, err := os.ReadFile(fixtureEncapsulated)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(der)
	f.Add(enc)
	f.Add(enc[:len(enc)-3])
	f.Add([]byte{0x30, 0x03, 0x06, 0x01, 0x00})
	extra := Attribute{Type: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 7}, Values: []asn1.RawValue{{FullBytes: []byte{0x05, 0x00}}}}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error wraps neither sentinel: %v", err)
			}
			return
		}
		if len(p.Signer.SignedAttrs) != 0 && p.Signer.SignedAttrs[0] != 0x31 {
			t.Fatal("SignedAttrs not re-tagged")
		}
		if c, err := p.VerifySignerInfo(testContent); err == nil && c == nil {
			t.Fatal("verified without a certificate")
		}
		out, err := AddUnsigned(b, []Attribute{extra}, nil)
		if err != nil {
			if !errors.Is(err, ErrAttributePresent) {
				t.Fatalf("AddUnsigned refused what Parse accepted: %v", err)
			}
			return
		}
		q, err := Parse(out)
		if err != nil {
			t.Fatalf("AddUnsigned output does not parse: %v", err)
		}
		if !bytes.Equal(q.Signer.SignedAttrs, p.Signer.SignedAttrs) || !bytes.Equal(q.Signer.Signature, p.Signer.Signature) ||
			!bytes.Equal(q.EContent, p.EContent) || len(q.Certificates) != len(p.Certificates) ||
			len(q.UnsignedValues(extra.Type)) != 1 || len(q.Signer.Unsigned) != len(p.Signer.Unsigned)+1 {
			t.Fatal("AddUnsigned changed more than the unsigned attributes")
		}
	})
}
