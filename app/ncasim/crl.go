package ncasim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"
)

// How long a CRL is valid. The base CRL is published by New, the others
// when first asked for; each again when asked for after its nextUpdate, so
// a fetch always gets a current one. A revocation republishes the delta at
// once, not the base.
const (
	baseCRLLife  = 24 * time.Hour
	deltaCRLLife = time.Hour
	rootCRLLife  = 30 * 24 * time.Hour
)

// published is one CRL as served.
type published struct {
	der              []byte
	number           int64
	thisUpdate, next time.Time
	upTo             int   // the base: revocations it lists (revoked[:upTo]); the delta: len(revoked) when made
	baseNumber       int64 // the delta: the base it extends
}

func (c *published) current(now time.Time) bool {
	return c.der != nil && !now.Before(c.thisUpdate) && now.Before(c.next)
}

// crlState is guarded by PKI.mu.
type crlState struct {
	number     int64 // the issuing CA's CRL number; base and delta share it (RFC 5280 §5.2.3)
	rootNumber int64
	base       published
	delta      published
	root       published
}

// BaseCRL is the issuing CA's current base CRL, DER.
func (p *PKI) BaseCRL() ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.baseLocked(p.now()); err != nil {
		return nil, err
	}
	return p.crls.base.der, nil
}

// DeltaCRL is the issuing CA's current delta CRL, DER: the revocations
// recorded since the current base CRL was published.
func (p *PKI) DeltaCRL() ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if err := p.baseLocked(now); err != nil {
		return nil, err
	}
	d, b := &p.crls.delta, &p.crls.base
	if d.current(now) && d.baseNumber == b.number && d.upTo == len(p.revoked) {
		return d.der, nil
	}
	ind, err := asn1.Marshal(big.NewInt(b.number))
	if err != nil {
		return nil, fmt.Errorf("ncasim: delta CRL indicator: %w", err)
	}
	p.crls.number++
	der, err := makeCRL(p.issuing, p.issuingKey, p.crls.number, now, deltaCRLLife, p.revoked[b.upTo:],
		pkix.Extension{Id: oidDeltaCRL, Critical: true, Value: ind})
	if err != nil {
		return nil, fmt.Errorf("ncasim: delta CRL: %w", err)
	}
	*d = published{der: der, number: p.crls.number, thisUpdate: now, next: now.Add(deltaCRLLife),
		upTo: len(p.revoked), baseNumber: b.number}
	return der, nil
}

// baseLocked publishes a new base CRL when the current one is past its
// nextUpdate (or there is none yet).
func (p *PKI) baseLocked(now time.Time) error {
	b := &p.crls.base
	if b.current(now) {
		return nil
	}
	fresh, err := freshestCRL(p.URL(PathDeltaCRL))
	if err != nil {
		return err
	}
	p.crls.number++
	der, err := makeCRL(p.issuing, p.issuingKey, p.crls.number, now, baseCRLLife, p.revoked, fresh)
	if err != nil {
		return fmt.Errorf("ncasim: base CRL: %w", err)
	}
	*b = published{der: der, number: p.crls.number, thisUpdate: now, next: now.Add(baseCRLLife), upTo: len(p.revoked)}
	return nil
}

// RootCRL is the root's CRL, DER. The root never revokes the issuing CA
// here, so it is empty; it exists so that a verifier checking the whole
// chain finds one.
func (p *PKI) RootCRL() ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	r := &p.crls.root
	if r.current(now) {
		return r.der, nil
	}
	p.crls.rootNumber++
	der, err := makeCRL(p.root, p.rootKey, p.crls.rootNumber, now, rootCRLLife, nil)
	if err != nil {
		return nil, fmt.Errorf("ncasim: root CRL: %w", err)
	}
	*r = published{der: der, number: p.crls.rootNumber, thisUpdate: now, next: now.Add(rootCRLLife)}
	return der, nil
}

func makeCRL(issuer *x509.Certificate, key *rsa.PrivateKey, number int64, now time.Time, life time.Duration,
	revoked []revocation, extra ...pkix.Extension) ([]byte, error) {
	entries := make([]x509.RevocationListEntry, len(revoked))
	for i, r := range revoked {
		entries[i] = x509.RevocationListEntry{SerialNumber: r.serial, RevocationTime: r.at, ReasonCode: r.reason}
	}
	tmpl := &x509.RevocationList{
		SignatureAlgorithm:        x509.SHA256WithRSA,
		RevokedCertificateEntries: entries,
		Number:                    big.NewInt(number),
		ThisUpdate:                now.UTC(),
		NextUpdate:                now.Add(life).UTC(),
		ExtraExtensions:           extra,
	}
	return x509.CreateRevocationList(rand.Reader, tmpl, issuer, key)
}
