package card

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/document"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/assets"
)

// cardTime is 14:05:31 on 2 December 2026 in Almaty.
var cardTime = time.Date(2026, 12, 2, 9, 5, 31, 0, time.UTC)

// appDate is the session's start: 01:30 on 25.11.2026 in Almaty.
var appDate = time.Date(2026, 11, 24, 20, 30, 0, 0, time.UTC)

func mustOID(t testing.TB, s string) x509.OID {
	t.Helper()
	o, err := x509.ParseOID(s)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// pki is a test CA with its key; generated once, RSA keys are slow.
type pki struct {
	caKey  *rsa.PrivateKey
	ca     *x509.Certificate
	caPEM  []byte
	sigKey *rsa.PrivateKey
}

var testPKI = sync.OnceValues(func() (*pki, error) {
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (ДЕМО)", Country: []string{"KZ"}},
		NotBefore:             time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	sigKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return &pki{caKey: caKey, ca: ca, caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), sigKey: sigKey}, nil
})

func getPKI(t testing.TB) *pki {
	t.Helper()
	p, err := testPKI()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// person is a subject shaped like the national CA's: CN, SURNAME,
// SERIALNUMBER=IIN…, C, GIVENNAME (the patronymic).
type person struct {
	cn, surname, iin, patronymic string
}

var (
	nurlan   = person{"САРСЕНБАЕВ НУРЛАН", "САРСЕНБАЕВ", "900101300123", "ҚАЙРАТҰЛЫ"}
	shahizad = person{"ӘБДІҒАППАРОВА ШАҺИЗАДА", "ӘБДІҒАППАРОВА", "850505400456", "ЖАНБОЛАТҚЫЗЫ"}
)

// signerCert issues a certificate for who with the national CA's policy
// and usage shapes.
func signerCert(t testing.TB, who person, serial int64) *x509.Certificate {
	t.Helper()
	p := getPKI(t)
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).Lsh(big.NewInt(serial), 100),
		Subject: pkix.Name{
			CommonName: who.cn, SerialNumber: "IIN" + who.iin, Country: []string{"KZ"},
			ExtraNames: []pkix.AttributeTypeAndValue{
				{Type: asn1.ObjectIdentifier{2, 5, 4, 4}, Value: who.surname},
				{Type: asn1.ObjectIdentifier{2, 5, 4, 42}, Value: who.patronymic},
			},
		},
		NotBefore:          time.Date(2026, 11, 24, 20, 29, 0, 0, time.UTC),
		NotAfter:           time.Date(2027, 11, 24, 20, 29, 0, 0, time.UTC),
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{{1, 2, 398, 3, 3, 4, 1, 1}},
		Policies:           []x509.OID{mustOID(t, "1.2.398.3.3.4.3.2"), mustOID(t, "1.2.398.3.3.4.3.2.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &p.sigKey.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func demoApplication(t testing.TB, lang string) document.Application {
	t.Helper()
	o := ticket.DemoOrder()
	doc := &provider.IDDocument{IIN: o.Subscriber.IIN, Surname: o.Subscriber.Surname, Given: o.Subscriber.Given,
		Patronymic: o.Subscriber.Patronymic, BirthDate: "1990-01-01", DocNumber: "N12345678"}
	clause, err := assets.Text(lang, "application")
	if err != nil {
		t.Fatal(err)
	}
	return document.Build(lang, o, doc, appDate, string(clause))
}

// signature signs pdf for who with a real detached CMS made by openssl,
// so the card's own instructions (openssl cms -verify) can be followed.
func signature(t *testing.T, pdf []byte, who person, serial int64, name string, gen time.Time) Signature {
	t.Helper()
	cert := signerCert(t, who, serial)
	dir := t.TempDir()
	keyDER, err := x509.MarshalPKCS8PrivateKey(getPKI(t).sigKey)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"doc":      pdf,
		"cert.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		"key.pem":  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "doc.cms")
	run(t, "openssl", "cms", "-sign", "-binary", "-md", "sha256", "-outform", "DER", "-in", filepath.Join(dir, "doc"),
		"-signer", filepath.Join(dir, "cert.pem"), "-inkey", filepath.Join(dir, "key.pem"), "-out", out)
	der, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return Signature{
		CMS: der, CMSName: name, Signer: cert, GenTime: gen,
		TimeStamp: TimeStampInfo{TSA: "CN=TSA SERVICE (DEMO),C=KZ", Serial: big.NewInt(0x5A17C0DE), Policy: "1.2.398.3.3.2.6.2", GenTime: gen},
		OCSP: OCSPInfo{Responder: "CN=OCSP RESPONDER (DEMO),C=KZ", Status: "good", ProducedAt: gen.Add(time.Second),
			ThisUpdate: gen.Add(time.Second), NextUpdate: gen.Add(24 * time.Hour)},
	}
}

// demoInput is a card for the demo application in lang with one signature.
func demoInput(t *testing.T, lang string) Input {
	t.Helper()
	a := demoApplication(t, lang)
	block := &document.SignatureBlock{CertSerial: "4F2A9C01D3E5B7", Signer: nurlan.cn, SignedAt: appDate.Add(3 * time.Minute)}
	pdf, err := a.PDF(block)
	if err != nil {
		t.Fatal(err)
	}
	return Input{
		Lang: lang, Application: a, PDF: pdf, PDFName: "application.pdf", Created: cardTime,
		IssuedBy: "signkiosk v1.4.0, kiosk ALM-017", Block: block,
		Signatures: []Signature{signature(t, pdf, nurlan, 0x4F2A9C, "application.pdf.cms", appDate.Add(3*time.Minute+2*time.Second))},
	}
}

// tool finds a checker binary. CI must have it (`make deps`); a developer
// machine without it skips the test.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (run make deps): %v", name, err)
		}
		t.Skipf("%s not installed (run make deps)", name)
	}
	return p
}

// run runs a tool and returns its standard output, failing on error.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(tool(t, name), args...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, msg)
	}
	return string(out)
}

// writeCard writes pdf into a fresh directory and returns its path.
func writeCard(t *testing.T, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "card.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func build(t testing.TB, in Input) []byte {
	t.Helper()
	pdf, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}
