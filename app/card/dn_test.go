package card

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"strings"
	"testing"
	"unicode/utf8"
)

func marshalName(t testing.TB, rdns [][]attr) []byte {
	t.Helper()
	seq := make([]rdnSET, len(rdns))
	for i, r := range rdns {
		seq[i] = r
	}
	der, err := asn1.Marshal(seq)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func value(t testing.TB, tag int, b []byte) asn1.RawValue {
	t.Helper()
	v := asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: b}
	full, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	v.FullBytes = full
	return v
}

func TestRFC4514(t *testing.T) {
	cn, c, o := asn1.ObjectIdentifier{2, 5, 4, 3}, asn1.ObjectIdentifier{2, 5, 4, 6}, asn1.ObjectIdentifier{2, 5, 4, 10}
	utf8s := func(s string) asn1.RawValue { return value(t, asn1.TagUTF8String, []byte(s)) }
	for _, tc := range []struct {
		name string
		rdns [][]attr
		want string
	}{
		{"order reversed", [][]attr{{{c, value(t, asn1.TagPrintableString, []byte("KZ"))}}, {{cn, utf8s("ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ")}}},
			"CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ,C=KZ"},
		{"specials escaped", [][]attr{{{o, utf8s(`ТОО "Компания", <Алматы>; a+b\c`)}}},
			`O=ТОО \"Компания\"\, \<Алматы\>\; a\+b\\c`},
		{"leading and trailing", [][]attr{{{cn, utf8s("#1 x ")}}, {{cn, utf8s(" y")}}}, `CN=\ y,CN=\#1 x\ `},
		{"equals and inner hash kept", [][]attr{{{cn, utf8s("a=b#c")}}}, `CN=a=b#c`},
		{"control characters", [][]attr{{{cn, utf8s("a\x00b\nc\u0085")}}}, `CN=a\00b\0Ac\C2\85`},
		{"multi-valued", [][]attr{{{cn, utf8s("A")}, {asn1.ObjectIdentifier{2, 5, 4, 5}, utf8s("IIN1")}}}, `CN=A+SERIALNUMBER=IIN1`},
		{"unknown type", [][]attr{{{asn1.ObjectIdentifier{1, 2, 3, 4}, utf8s("v")}}}, `1.2.3.4=v`},
		{"bmp", [][]attr{{{cn, value(t, asn1.TagBMPString, []byte{0x04, 0x1a, 0x04, 0xd9})}}}, `CN=Кә`},
		{"universal", [][]attr{{{cn, value(t, 28, []byte{0, 0, 0x04, 0x1a})}}}, `CN=К`},
		{"t61 as latin-1", [][]attr{{{cn, value(t, asn1.TagT61String, []byte{'M', 0xfc})}}}, `CN=Mü`},
		{"not a string", [][]attr{{{cn, value(t, asn1.TagInteger, []byte{5})}}}, `CN=#020105`},
		{"bad utf-8", [][]attr{{{cn, value(t, asn1.TagUTF8String, []byte{0xff})}}}, `CN=#0c01ff`},
		{"odd bmp", [][]attr{{{cn, value(t, asn1.TagBMPString, []byte{0x04})}}}, `CN=#1e0104`},
		{"empty", nil, ""},
	} {
		if got := rfc4514(marshalName(t, tc.rdns)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := rfc4514([]byte{0x30, 0x03, 0x01}); got != "#300301" {
		t.Errorf("malformed name: %q", got)
	}
}

// TestRFC4514MatchesOpenSSL compares the signer's subject with openssl's
// RFC 2253 output (RFC 4514's predecessor, same order and escaping) once
// the attribute names are mapped.
func TestRFC4514MatchesOpenSSL(t *testing.T) {
	cert := signerCert(t, person{`ӘЛИ, "ТЕСТ"+1`, "ӘЛИ", "900101300123", "ҚАЙРАТҰЛЫ"}, 5)
	path := t.TempDir() + "/c.der"
	if err := writeFile(path, cert.Raw); err != nil {
		t.Fatal(err)
	}
	out := run(t, "openssl", "x509", "-inform", "DER", "-in", path, "-noout", "-subject", "-nameopt", "RFC2253,-esc_msb")
	got := strings.TrimSpace(strings.TrimPrefix(out, "subject="))
	want := strings.NewReplacer("SN=", "SURNAME=", "GN=", "GIVENNAME=", "serialNumber=", "SERIALNUMBER=").Replace(got)
	if mine := rfc4514(cert.RawSubject); mine != want {
		t.Fatalf("rfc4514: %q\nopenssl: %q", mine, want)
	}
}

func TestNameAttrAndSigner(t *testing.T) {
	cert := signerCert(t, nurlan, 1)
	if got := nameAttr(cert.RawSubject, oidSerialNumber); got != "IIN900101300123" {
		t.Fatalf("serialNumber %q", got)
	}
	if got := signerName(cert); got != "САРСЕНБАЕВ НУРЛАН ҚАЙРАТҰЛЫ" {
		t.Fatalf("signer name %q", got)
	}
	if nameAttr([]byte{1, 2, 3}, oidCN) != "" {
		t.Fatal("malformed name gave a value")
	}
}

// FuzzRFC4514: any bytes give printable UTF-8, and for a name that parses,
// the unescaped separators split it into exactly its attributes.
func FuzzRFC4514(f *testing.F) {
	nca, _ := asn1.Marshal(pkix.Name{CommonName: nurlan.cn, SerialNumber: "IIN" + nurlan.iin, Country: []string{"KZ"},
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{2, 5, 4, 42}, Value: nurlan.patronymic}}}.ToRDNSequence())
	f.Add(nca)
	f.Add(marshalName(f, [][]attr{{{asn1.ObjectIdentifier{2, 5, 4, 3}, value(f, asn1.TagUTF8String, []byte(`a,b+c\ "#`))}}}))
	name, _ := asn1.Marshal(pkix.Name{CommonName: " x ", Organization: []string{"+"}}.ToRDNSequence())
	f.Add(name)
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{0x30, 0x80})
	f.Fuzz(func(t *testing.T, der []byte) {
		s := rfc4514(der)
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8: %q", s)
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("control character %U in %q", r, s)
			}
		}
		var rdns []rdnSET
		if rest, err := asn1.Unmarshal(der, &rdns); err != nil || len(rest) != 0 || len(der) > maxNameBytes {
			return
		}
		attrs := 0
		for _, r := range rdns {
			attrs += len(r)
		}
		if got := separated(s); attrs > 0 && got != attrs {
			t.Fatalf("%d attributes, %d fields in %q", attrs, got, s)
		}
	})
}

// separated counts the fields between unescaped "," and "+".
func separated(s string) int {
	n := 1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case ',', '+':
			n++
		}
	}
	return n
}
