package ncasim

import (
	"encoding/hex"
	"math/big"
	"time"
)

// revocation is one revoked certificate of the issuing CA.
type revocation struct {
	serial *big.Int
	at     time.Time
	reason int // RFC 5280 CRLReason; 0 unspecified
}

// Revoke revokes the certificate with this serial (one the issuing CA
// issued: subscribers, the TSA, the OCSP responder) as of at, with an RFC
// 5280 CRLReason (1 keyCompromise, …). OCSP answers revoked from then on;
// the delta CRL lists it until a new base CRL does. Revocation is final: a
// second call for the same serial changes nothing.
func (p *PKI) Revoke(serial *big.Int, at time.Time, reason int) {
	if serial == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	k := serialKey(serial)
	if _, ok := p.bySer[k]; ok {
		return
	}
	p.bySer[k] = len(p.revoked)
	p.revoked = append(p.revoked, revocation{serial: new(big.Int).Set(serial), at: at.UTC().Truncate(time.Second), reason: reason})
	p.log.Info().Int("reason", reason).Msg("certificate revoked")
}

// certStatus is what the OCSP responder says of a serial of the issuing CA.
type certStatus struct {
	known   bool // issued by the issuing CA (or revoked: then known too)
	revoked *revocation
}

func (p *PKI) status(serial *big.Int) certStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := serialKey(serial)
	if i, ok := p.bySer[k]; ok {
		r := p.revoked[i]
		return certStatus{known: true, revoked: &r}
	}
	return certStatus{known: p.issued[k]}
}

// SetTSADown makes the TSA answer 503 to requests whose message imprint is
// this SHA-256 digest: a time-stamp service outage for one signature.
func (p *PKI) SetTSADown(imprintSHA256 []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tsaDown[hex.EncodeToString(imprintSHA256)] = true
}

// SetOCSPDown makes the OCSP responder answer 503 to requests naming this
// serial: an OCSP outage for one certificate.
func (p *PKI) SetOCSPDown(serial *big.Int) {
	if serial == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ocspOff[serialKey(serial)] = true
}

func (p *PKI) ocspIsDown(serial *big.Int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ocspOff[serialKey(serial)]
}
