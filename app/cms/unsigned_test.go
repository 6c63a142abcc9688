package cms

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

var (
	oidTestAttrA = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}
	oidTestAttrB = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 2}
)

func utf8Attr(oid asn1.ObjectIdentifier, s string) Attribute {
	return Attribute{Type: oid, Values: []asn1.RawValue{{Class: asn1.ClassUniversal, Tag: asn1.TagUTF8String, Bytes: []byte(s)}}}
}

func TestAddUnsigned(t *testing.T) {
	p := newPKI(t)
	der := p.sign(t, testContent)
	before, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	extra := newPKI(t).ca
	// B before A: the output must come out in DER SET OF order anyway.
	out, err := AddUnsigned(der, []Attribute{utf8Attr(oidTestAttrB, "second"), utf8Attr(oidTestAttrA, "first")},
		[]*x509.Certificate{p.ca, extra, extra})
	if err != nil {
		t.Fatalf("AddUnsigned: %v", err)
	}
	after, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after.Signer.SignedAttrs, before.Signer.SignedAttrs) || !bytes.Equal(after.Signer.Signature, before.Signer.Signature) {
		t.Fatal("signed attributes or signature changed")
	}
	if len(after.Certificates) != 3 || !after.Certificates[2].Equal(extra) {
		t.Errorf("%d certificates, want the 2 plus the new one once", len(after.Certificates))
	}
	if len(after.Signer.Unsigned) != 2 || !after.Signer.Unsigned[0].Type.Equal(oidTestAttrA) {
		t.Errorf("unsigned attributes %v", after.Signer.Unsigned)
	}
	if v := after.UnsignedValues(oidTestAttrB); len(v) != 1 || string(v[0].Bytes) != "second" {
		t.Errorf("UnsignedValues: %v", v)
	}
	if _, err := Verify(out, testContent, p.roots); err != nil {
		t.Errorf("Verify after AddUnsigned: %v", err)
	}

	// A second round keeps the first round's attributes and refuses a repeat.
	again, err := AddUnsigned(out, []Attribute{utf8Attr(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 0}, "zero")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if q, err := Parse(again); err != nil || len(q.Signer.Unsigned) != 3 || len(q.Certificates) != 3 {
		t.Errorf("second round: %v", err)
	}
	if _, err := AddUnsigned(out, []Attribute{utf8Attr(oidTestAttrA, "again")}, nil); !errors.Is(err, ErrAttributePresent) {
		t.Errorf("repeat type: %v", err)
	}
	if _, err := AddUnsigned(der, []Attribute{utf8Attr(oidTestAttrA, "x"), utf8Attr(oidTestAttrA, "y")}, nil); !errors.Is(err, ErrAttributePresent) {
		t.Errorf("same type twice in one call: %v", err)
	}
	if _, err := AddUnsigned(der, []Attribute{{Type: oidTestAttrA}}, nil); err == nil {
		t.Error("attribute without values accepted")
	}
	if _, err := AddUnsigned(der[:100], nil, nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated input: %v", err)
	}
	// Nothing to add: the same bytes.
	if same, err := AddUnsigned(der, nil, []*x509.Certificate{p.cert}); err != nil || !bytes.Equal(same, der) {
		t.Errorf("no-op AddUnsigned changed the CMS: %v", err)
	}
}

// TestAddUnsignedCreatesCertificates: a SignedData without certificates
// (with a CRLs field after where they go) gets the field in its place.
func TestAddUnsignedCreatesCertificates(t *testing.T) {
	p := newPKI(t)
	der, err := SignEncapsulated(oidTestContent, testContent, p.key, p.cert, nil, EncapsulatedOptions{OmitCertificates: true})
	if err != nil {
		t.Fatal(err)
	}
	withCRLs := rewriteRaw(t, der, func(sd *parsedSignedData) {
		sd.CRLs = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true}
	})
	for name, in := range map[string][]byte{"no crls": der, "empty crls": withCRLs} {
		out, err := AddUnsigned(in, nil, []*x509.Certificate{p.cert, p.ca})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		parsed, err := Parse(out)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(parsed.Certificates) != 2 {
			t.Errorf("%s: %d certificates", name, len(parsed.Certificates))
		}
		if _, err := parsed.VerifySignerInfo(nil); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestAddUnsignedOpenSSL: openssl still verifies the signature and shows
// the attribute.
func TestAddUnsignedOpenSSL(t *testing.T) {
	openssl := needOpenSSL(t)
	p := newPKI(t)
	out, err := AddUnsigned(p.sign(t, testContent), []Attribute{utf8Attr(oidTestAttrA, "unsigned value")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	doc, sig, ca := filepath.Join(dir, "doc"), filepath.Join(dir, "sig.cms"), filepath.Join(dir, "ca.pem")
	writeFile(t, doc, testContent)
	writeFile(t, sig, out)
	writeFile(t, ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.ca.Raw}))
	res := runOpenSSL(t, openssl, "cms", "-verify", "-binary", "-inform", "DER", "-content", doc, "-in", sig,
		"-CAfile", ca, "-purpose", "any", "-out", filepath.Join(dir, "out"))
	if !strings.Contains(res, "Verification successful") {
		t.Errorf("openssl cms -verify: %s", res)
	}
	printed := runOpenSSL(t, openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", sig)
	i := strings.Index(printed, "unsignedAttrs:")
	if i < 0 || !strings.Contains(printed[i:], "1.3.6.1.4.1.99999.1") || !strings.Contains(printed[i:], "unsigned value") {
		t.Errorf("openssl does not show the unsigned attribute:\n%s", printed)
	}
}
