package sim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Name attribute OIDs NCA uses that pkix.Name has no field for.
var (
	oidSurname   = asn1.ObjectIdentifier{2, 5, 4, 4}
	oidGivenName = asn1.ObjectIdentifier{2, 5, 4, 42}
)

// demoCA is the simulator's stand-in for the National Certification Authority:
// RSA-2048, SHA-256, made fresh by New and never written anywhere.
type demoCA struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
	pem  string
}

func newDemoCA(now time.Time) (*demoCA, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("demo CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:   "ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (DEMO, provider simulator)",
			Organization: []string{"Biometric ID simulator"},
			Country:      []string{"KZ"},
		},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SignatureAlgorithm:    x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("demo CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("demo CA certificate: %w", err)
	}
	return &demoCA{key: key, cert: cert, pem: pemCert(der)}, nil
}

// issue certifies a subscriber's RSA-2048 key (see keygen.go for when the
// key is made), subject in NCA's style.
func (ca *demoCA) issue(now time.Time, key *rsa.PrivateKey, iin, surname, given string) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	surname, given = strings.ToUpper(surname), strings.ToUpper(given)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:   strings.TrimSpace(surname + " " + given),
			SerialNumber: "IIN" + iin,
			Country:      []string{"KZ"},
			ExtraNames: []pkix.AttributeTypeAndValue{
				{Type: oidSurname, Value: surname},
				{Type: oidGivenName, Value: given},
			},
		},
		NotBefore:          now,
		NotAfter:           now.AddDate(1, 0, 0),
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}, // what openssl cms -verify expects
		SignatureAlgorithm: x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("subscriber certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("subscriber certificate: %w", err)
	}
	return cert, nil
}

func randomSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("certificate serial: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil // positive, never zero
}

func pemCert(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
