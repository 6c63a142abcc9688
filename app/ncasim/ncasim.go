// Package ncasim simulates the national certification authority's public
// services for demos and tests: an RSA chain shaped like the national CA's
// (root → issuing CA → subscribers, a TSA and an OCSP responder), an RFC 3161
// time-stamp service, an OCSP responder (RFC 6960) and base and delta CRLs
// (RFC 5280), all over plain HTTP without a key, as the real ones are.
//
// Everything lives in memory, made fresh by New; every name says DEMO and
// simulator: it never claims to be the national CA.
//
// Choices a verifier may meet:
//   - RSA-2048 and SHA-256 throughout. The TSA and the OCSP responder are
//     issued by the issuing CA (one intermediate for every chain). Root 20
//     years, issuing CA 10, TSA and responder 5, subscribers 1, all from
//     the clock at New (CAs an hour earlier).
//   - OCSP: thisUpdate = producedAt = the moment of asking, nextUpdate 24 h
//     later; signed by the responder certificate (id-pkix-ocsp-nocheck),
//     which the response carries; byName responder ID; every CertID of a
//     request answered and echoed; the nonce echoed in responseExtensions.
//     "unknown" for another issuer's CertID or a serial never issued.
//   - CRLs: the base (24 h) is published by New and again once past its
//     nextUpdate; the delta (1 h) lists what was revoked since the current
//     base and is remade on each revocation; base and delta share one CRL
//     number sequence. The root's CRL (30 days) is empty.
//   - Time stamps: package tsp's Authority, policy 1.2.398.3.3.2.6.1,
//     accuracy 1 s, the issuing CA sent along with the TSA certificate.
//
// Serve Handler with Mount (or a handler that does not clean paths): an
// OCSP GET carries base64, and a client that leaves its "/" unescaped may
// send "//", which a ServeMux redirects away (307 to a cleaned path).
package ncasim

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Paths the Handler serves, relative to Config.BaseURL.
const (
	PathTSP         = "/tsp"
	PathOCSP        = "/ocsp"
	PathCRL         = "/crl/nca.crl"       // the issuing CA's base CRL
	PathDeltaCRL    = "/crl/nca_delta.crl" // the issuing CA's delta CRL
	PathRootCRL     = "/crl/root.crl"      // the root's CRL (names the issuing CA's status)
	PathRootCert    = "/cert/root.cer"     // DER, AIA caIssuers of the issuing CA
	PathIssuingCert = "/cert/nca.cer"      // DER, AIA caIssuers of what the issuing CA issues
)

// placeholderBaseURL stands in for an empty Config.BaseURL: certificates keep
// their shape, and .invalid (RFC 2606) never resolves.
const placeholderBaseURL = "http://ncasim.invalid"

// Config configures a PKI.
type Config struct {
	// BaseURL is where Handler is served, e.g. "http://127.0.0.1:8701/nca";
	// certificates embed absolute URLs under it. Empty: a placeholder that
	// never resolves (no usable URLs).
	BaseURL string
	Now     func() time.Time // clock; time.Now
	Log     zerolog.Logger
}

// Subject names a subscriber as the national CA does.
type Subject struct {
	IIN     string // 12 digits
	Surname string
	Given   string
}

// PKI is the simulated national CA. Safe for concurrent use.
type PKI struct {
	base string
	now  func() time.Time
	log  zerolog.Logger

	root, issuing, tsa, ocsp             *x509.Certificate
	rootKey, issuingKey, tsaKey, ocspKey *rsa.PrivateKey
	rootPEM, chainPEM                    []byte
	tsp                                  http.Handler

	mu      sync.Mutex
	issued  map[string]bool // serials (hex) the issuing CA issued
	revoked []revocation    // in the order recorded: CRLs split it at a base
	bySer   map[string]int  // serial (hex) → index in revoked
	crls    crlState
	tsaDown map[string]bool // imprints (hex) the TSA refuses
	ocspOff map[string]bool // serials (hex) the OCSP responder refuses
}

// New makes a fresh PKI: four RSA-2048 keys and their certificates.
func New(cfg Config) (*PKI, error) {
	base, err := baseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &PKI{
		base:    base,
		now:     cfg.Now,
		log:     cfg.Log.With().Str("component", "ncasim").Logger(),
		issued:  make(map[string]bool),
		bySer:   make(map[string]int),
		tsaDown: make(map[string]bool),
		ocspOff: make(map[string]bool),
	}
	if err := p.makeCertificates(); err != nil {
		return nil, fmt.Errorf("ncasim: %w", err)
	}
	p.rootPEM = pemCert(p.root.Raw)
	p.chainPEM = pemCert(p.issuing.Raw)
	p.tsp = p.newTSP()
	// The first base CRL is published now, so a revocation from here on is
	// in the delta until the next base (as at a CA that has been running).
	if _, err := p.BaseCRL(); err != nil {
		return nil, err
	}
	return p, nil
}

// baseURL checks an absolute http(s) URL without query or fragment and
// drops a trailing slash.
func baseURL(s string) (string, error) {
	if s == "" {
		return placeholderBaseURL, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("ncasim: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", errors.New("ncasim: base URL must be http(s)://host[/path] without query, fragment or user")
	}
	return strings.TrimRight(s, "/"), nil
}

// URL is BaseURL joined with one of the Path constants.
func (p *PKI) URL(path string) string { return p.base + path }

// Root is the self-signed root certificate.
func (p *PKI) Root() *x509.Certificate { return p.root }

// Issuing is the issuing CA's certificate (signed by the root).
func (p *PKI) Issuing() *x509.Certificate { return p.issuing }

// TSACert is the time-stamp authority's certificate (signed by the issuing CA).
func (p *PKI) TSACert() *x509.Certificate { return p.tsa }

// OCSPCert is the OCSP responder's certificate (signed by the issuing CA).
func (p *PKI) OCSPCert() *x509.Certificate { return p.ocsp }

// RootPEM is the root certificate in PEM: what a verifier trusts.
func (p *PKI) RootPEM() []byte { return append([]byte(nil), p.rootPEM...) }

// ChainPEM is the issuing CA's certificate in PEM: the intermediate a
// subscriber's certificate needs.
func (p *PKI) ChainPEM() []byte { return append([]byte(nil), p.chainPEM...) }

// TSAPolicy is the policy the TSA names in its tokens.
func (p *PKI) TSAPolicy() asn1.ObjectIdentifier {
	return append(asn1.ObjectIdentifier(nil), oidTSAPolicy...)
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
