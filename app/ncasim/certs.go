package ncasim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"
)

// Lifetimes. The CA certificates start an hour early so a clock a little
// behind the PKI's still sees them valid.
const (
	rootLife    = 20 // years
	issuingLife = 10 // years
	serviceLife = 5  // years, the TSA's and the OCSP responder's
	backdate    = time.Hour
)

// organization says on every certificate what this is not.
const organization = "DEMO signkiosk simulator, not the National Certification Authority"

// makeCertificates makes the four keys at once (RSA-2048 key generation is
// tens of milliseconds each, and the machine may have cores to spare), then
// the certificates in issuing order.
func (p *PKI) makeCertificates() error {
	keys := make([]*rsa.PrivateKey, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() { keys[i], errs[i] = rsa.GenerateKey(rand.Reader, 2048) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	p.rootKey, p.issuingKey, p.tsaKey, p.ocspKey = keys[0], keys[1], keys[2], keys[3]
	now := p.now()

	root := &x509.Certificate{
		Subject:               caName("DEMO ROOT CA (RSA) signkiosk simulator"),
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.AddDate(rootLife, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	var err error
	if p.root, err = p.create(root, root, &p.rootKey.PublicKey, p.rootKey); err != nil {
		return fmt.Errorf("root: %w", err)
	}

	issuing := &x509.Certificate{
		Subject:               caName("DEMO NCA (RSA) signkiosk simulator"),
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.AddDate(issuingLife, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		IssuingCertificateURL: []string{p.URL(PathRootCert)},
		CRLDistributionPoints: []string{p.URL(PathRootCRL)},
	}
	if p.issuing, err = p.create(issuing, p.root, &p.issuingKey.PublicKey, p.rootKey); err != nil {
		return fmt.Errorf("issuing CA: %w", err)
	}

	// RFC 3161 §2.3: the TSA's only EKU is id-kp-timeStamping, critical.
	// Go never marks the EKU critical; an ExtraExtensions entry with the
	// same OID replaces the one it would make.
	ekuTS, err := criticalEKU(oidKPTimeStamping)
	if err != nil {
		return err
	}
	tsa := &x509.Certificate{
		Subject:               caName("DEMO TSA (RSA) signkiosk simulator"),
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.AddDate(serviceLife, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		BasicConstraintsValid: true,
		ExtraExtensions:       []pkix.Extension{ekuTS},
	}
	p.serviceURLs(tsa, true)
	if err := p.withFreshest(tsa); err != nil {
		return err
	}
	if p.tsa, err = p.create(tsa, p.issuing, &p.tsaKey.PublicKey, p.issuingKey); err != nil {
		return fmt.Errorf("TSA: %w", err)
	}

	// The responder's own status is not asked of itself (id-pkix-ocsp-nocheck,
	// RFC 6960 §4.2.2.2.1), so it carries no OCSP URL.
	ocsp := &x509.Certificate{
		Subject:               caName("DEMO OCSP (RSA) signkiosk simulator"),
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.AddDate(serviceLife, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning},
		BasicConstraintsValid: true,
		ExtraExtensions:       []pkix.Extension{{Id: oidOCSPNoCheck, Value: asn1NULL}},
	}
	p.serviceURLs(ocsp, false)
	if p.ocsp, err = p.create(ocsp, p.issuing, &p.ocspKey.PublicKey, p.issuingKey); err != nil {
		return fmt.Errorf("OCSP responder: %w", err)
	}
	return nil
}

// IssueSubscriber certifies an individual's RSA key in the national CA's
// shape: CN "SURNAME GIVEN", SURNAME, GIVENNAME, SERIALNUMBER=IIN…, C=KZ;
// digitalSignature and nonRepudiation; the individual and remote
// identification policies; OCSP and CRL pointers. Valid from now for a year.
func (p *PKI) IssueSubscriber(pub *rsa.PublicKey, s Subject) (*x509.Certificate, error) {
	if pub == nil {
		return nil, errors.New("ncasim: subscriber: no public key")
	}
	if !validIIN(s.IIN) {
		return nil, errors.New("ncasim: subscriber: the IIN must be 12 digits")
	}
	surname, given := strings.ToUpper(strings.TrimSpace(s.Surname)), strings.ToUpper(strings.TrimSpace(s.Given))
	now := p.now()
	tmpl := &x509.Certificate{
		Subject: pkix.Name{
			CommonName:   strings.TrimSpace(surname + " " + given),
			SerialNumber: "IIN" + s.IIN,
			Country:      []string{"KZ"},
			ExtraNames: []pkix.AttributeTypeAndValue{
				{Type: oidSurname, Value: surname},
				{Type: oidGivenName, Value: given},
			},
		},
		NotBefore: now,
		NotAfter:  now.AddDate(1, 0, 0),
		KeyUsage:  x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		// openssl cms -verify wants emailProtection of a signer.
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		BasicConstraintsValid: true,
		Policies:              []x509.OID{policyIndividual, policyRemoteID, policyRemoteDigitalID},
	}
	p.serviceURLs(tmpl, true)
	if err := p.withFreshest(tmpl); err != nil {
		return nil, err
	}
	cert, err := p.create(tmpl, p.issuing, pub, p.issuingKey)
	if err != nil {
		return nil, fmt.Errorf("ncasim: subscriber: %w", err)
	}
	return cert, nil
}

// serviceURLs points a certificate the issuing CA signs at its issuer's
// certificate, base CRL and (withOCSP) the OCSP responder.
func (p *PKI) serviceURLs(t *x509.Certificate, withOCSP bool) {
	t.IssuingCertificateURL = []string{p.URL(PathIssuingCert)}
	t.CRLDistributionPoints = []string{p.URL(PathCRL)}
	if withOCSP {
		t.OCSPServer = []string{p.URL(PathOCSP)}
	}
}

// withFreshest adds the freshest-CRL extension naming the delta CRL.
func (p *PKI) withFreshest(t *x509.Certificate) error {
	ext, err := freshestCRL(p.URL(PathDeltaCRL))
	if err != nil {
		return err
	}
	t.ExtraExtensions = append(t.ExtraExtensions, ext)
	return nil
}

// create signs tmpl with a fresh serial and notes the serial as issued when
// the issuing CA signs. pub is the subject's key, signer the issuer's.
func (p *PKI) create(tmpl, parent *x509.Certificate, pub *rsa.PublicKey, signer *rsa.PrivateKey) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	tmpl.SignatureAlgorithm = x509.SHA256WithRSA
	if len(tmpl.SubjectKeyId) == 0 {
		// RFC 5280 §4.2.1.2 method 1; Go makes one for CAs only.
		sum := sha1.Sum(x509.MarshalPKCS1PublicKey(pub))
		tmpl.SubjectKeyId = sum[:]
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("create certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	if p.issuingKey == signer && tmpl != parent {
		p.mu.Lock()
		p.issued[serialKey(serial)] = true
		p.mu.Unlock()
	}
	return cert, nil
}

func caName(cn string) pkix.Name {
	return pkix.Name{CommonName: cn, Organization: []string{organization}, Country: []string{"KZ"}}
}

func randomSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("certificate serial: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil // positive, never zero
}

// serialKey is a serial as a map key.
func serialKey(n *big.Int) string { return n.Text(16) }

func validIIN(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
