// Package pki is head office's small demo PKI, its kiosk CA: one ECDSA P-256
// CA, a server certificate for the loopback names, and per kiosk (CN = kiosk
// id) a client certificate for the mTLS link and a device certificate for
// the kiosk's Ed25519 device key, which signs its packages (DeviceCert).
// A real deployment issues these from the operator's own CA; this exists so
// the demo and the tests run with real certificates and no setup.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"almatel.kz/signkiosk/app/keyfile"
	"almatel.kz/signkiosk/app/pack"
)

// File names inside the PKI directory.
const (
	CACertFile     = "sync-ca.pem"
	CAKeyFile      = "sync-ca.key"
	ServerCertFile = "headoffice.pem"
	ServerKeyFile  = "headoffice.key"
)

// Validity periods. The demo CA outlives its leaves so re-issuing a kiosk
// certificate never needs a new CA.
const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 2 * 365 * 24 * time.Hour
	// backdate absorbs small clock differences between kiosk and head office.
	backdate = time.Hour
)

// PKI is a loaded demo CA and server certificate.
type PKI struct {
	Dir    string
	CA     *x509.Certificate
	CAPool *x509.CertPool
	Server tls.Certificate

	caKey *ecdsa.PrivateKey
	now   func() time.Time
}

// CAPath is the CA certificate's file, for clients to trust.
func (p *PKI) CAPath() string { return filepath.Join(p.Dir, CACertFile) }

// LoadOrCreate loads the PKI in dir, creating the CA and the server
// certificate the first time. Keys are written 0600, the directory 0700; a
// key that others can read is refused.
func LoadOrCreate(dir string, now func() time.Time) (*PKI, error) {
	if now == nil {
		now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	p := &PKI{Dir: dir, now: now}
	caCert, caKey := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	if !exists(caCert) || !exists(caKey) {
		if err := p.createCA(caCert, caKey); err != nil {
			return nil, err
		}
	}
	if err := keyfile.CheckPrivate(caKey, "head office CA key"); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	cert, key, err := loadPair(caCert, caKey)
	if err != nil {
		return nil, fmt.Errorf("pki: CA: %w", err)
	}
	p.CA, p.caKey = cert, key
	p.CAPool = x509.NewCertPool()
	p.CAPool.AddCert(cert)

	srvCert, srvKey := filepath.Join(dir, ServerCertFile), filepath.Join(dir, ServerKeyFile)
	if !p.validLeaf(srvCert, srvKey, x509.ExtKeyUsageServerAuth) {
		tmpl := p.leafTemplate("headoffice", x509.ExtKeyUsageServerAuth)
		tmpl.DNSNames = []string{"localhost"}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		if err := p.issue(tmpl, srvCert, srvKey); err != nil {
			return nil, err
		}
	}
	if err := keyfile.CheckPrivate(srvKey, "head office server key"); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	p.Server, err = tls.LoadX509KeyPair(srvCert, srvKey)
	if err != nil {
		return nil, fmt.Errorf("pki: server certificate: %w", err)
	}
	return p, nil
}

// ClientCert returns the paths of the client certificate and key for
// kioskID (CN = kioskID) in dir, issuing them the first time.
func (p *PKI) ClientCert(dir, kioskID string) (certPEM, keyPEM string, err error) {
	if !pack.ValidKioskID(kioskID) {
		return "", "", fmt.Errorf("pki: kiosk id %q: want letters, digits, '.', '_' or '-'", kioskID)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("pki: %w", err)
	}
	certPEM = filepath.Join(dir, "kiosk-"+kioskID+".pem")
	keyPEM = filepath.Join(dir, "kiosk-"+kioskID+".key")
	if p.validLeaf(certPEM, keyPEM, x509.ExtKeyUsageClientAuth) {
		return certPEM, keyPEM, nil
	}
	if err := p.issue(p.leafTemplate(kioskID, x509.ExtKeyUsageClientAuth), certPEM, keyPEM); err != nil {
		return "", "", err
	}
	return certPEM, keyPEM, nil
}

// ServerTLS is the head office's TLS config: its certificate, TLS 1.2 or
// later, and a client certificate issued by the CA required on every
// connection.
func ServerTLS(p *PKI) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{p.Server},
		ClientCAs:    p.CAPool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}
}

// ClientTLS is a kiosk's TLS config from files: trust caPEM only and present
// the certificate in certPEM/keyPEM. The key must be 0600 or tighter.
func ClientTLS(caPEM, certPEM, keyPEM string) (*tls.Config, error) {
	b, err := os.ReadFile(caPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("pki: CA %s: no certificate found", filepath.Base(caPEM))
	}
	if err := keyfile.CheckPrivate(keyPEM, "mTLS client key"); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: client certificate: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool, Certificates: []tls.Certificate{cert}}, nil
}

func (p *PKI) createCA(certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("pki: CA key: %w", err)
	}
	serial, err := randSerial()
	if err != nil {
		return err
	}
	now := p.now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "signkiosk demo sync CA", Organization: []string{"signkiosk demo"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("pki: CA certificate: %w", err)
	}
	return writePair(certPath, keyPath, der, key)
}

func (p *PKI) leafTemplate(cn string, usage x509.ExtKeyUsage) *x509.Certificate {
	now := p.now()
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn, Organization: []string{"signkiosk demo"}},
		NotBefore:   now.Add(-backdate),
		NotAfter:    now.Add(leafValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
}

func (p *PKI) issue(tmpl *x509.Certificate, certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("pki: key: %w", err)
	}
	if tmpl.SerialNumber, err = randSerial(); err != nil {
		return err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.CA, &key.PublicKey, p.caKey)
	if err != nil {
		return fmt.Errorf("pki: certificate %s: %w", tmpl.Subject.CommonName, err)
	}
	return writePair(certPath, keyPath, der, key)
}

func randSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("pki: serial: %w", err)
	}
	return n, nil
}

// writePair writes the key first, so a certificate on disk always has its
// key; each file goes through a temp file and rename so a crash never
// leaves half a PEM behind.
func writePair(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("pki: marshal key: %w", err)
	}
	if err := writeFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	return writeFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writeFile(path string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("pki: write %s: %w", filepath.Base(path), err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("pki: write %s: %w", filepath.Base(path), err)
	}
	return nil
}

func loadPair(certPath, keyPath string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cb, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, err
	}
	blk, _ := pem.Decode(cb)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("%s: no certificate", filepath.Base(certPath))
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Base(certPath), err)
	}
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	blk, _ = pem.Decode(kb)
	if blk == nil || blk.Type != "EC PRIVATE KEY" {
		return nil, nil, fmt.Errorf("%s: no EC private key", filepath.Base(keyPath))
	}
	key, err := x509.ParseECPrivateKey(blk.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Base(keyPath), err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, errors.New("key does not match certificate")
	}
	return cert, key, nil
}

// validLeaf reports whether the pair on disk is usable: present, matching,
// issued by this CA and valid now. Anything else (a CA made anew after a
// lost key, an expired certificate) is re-issued rather than served broken.
func (p *PKI) validLeaf(certPath, keyPath string, usage x509.ExtKeyUsage) bool {
	cert, _, err := loadPair(certPath, keyPath)
	if err != nil {
		return false
	}
	_, err = cert.Verify(x509.VerifyOptions{Roots: p.CAPool, CurrentTime: p.now(), KeyUsages: []x509.ExtKeyUsage{usage}})
	return err == nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
