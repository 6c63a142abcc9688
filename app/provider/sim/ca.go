package sim

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"

	"almatel.kz/signkiosk/app/cms"
	"almatel.kz/signkiosk/app/ncasim"
)

// keyCompromise is RFC 5280's CRLReason the revoked trigger gives.
const keyCompromise = 1

// issue certifies a subscriber's RSA-2048 key (see keygen.go for when the
// key is made) with the national CA, then applies the certificate triggers.
// Callers hold ss.mu.
func (s *Simulator) issue(ss *session, key *rsa.PrivateKey) (*x509.Certificate, error) {
	cert, err := s.pki.IssueSubscriber(&key.PublicKey, ncasim.Subject{IIN: ss.iin, Surname: ss.doc.Surname, Given: ss.doc.Given})
	if err != nil {
		return nil, err
	}
	switch ss.iin {
	case TriggerIINRevoked:
		s.pki.Revoke(cert.SerialNumber, s.cfg.Now(), keyCompromise)
		s.log.Info().Str("sim_session", ss.id).Msg("revoked trigger: certificate revoked (keyCompromise)")
	case TriggerIINOCSPDown:
		s.pki.SetOCSPDown(cert.SerialNumber)
		s.log.Info().Str("sim_session", ss.id).Msg("OCSP-down trigger: OCSP answers 503 for this certificate")
	}
	return cert, nil
}

// chainCerts is what a signature carries besides the signer: issuing CA, root.
func (s *Simulator) chainCerts() []*x509.Certificate {
	return []*x509.Certificate{s.pki.Issuing(), s.pki.Root()}
}

// afterSign applies the signing triggers to a finished CMS: for the TSA-down
// trigger the TSA refuses the time stamp over this signature's value (RFC
// 3161 appendix A: the imprint is SHA-256 of the signature).
func (s *Simulator) afterSign(ss *session, der []byte) error {
	if ss.iin != TriggerIINTSADown {
		return nil
	}
	p, err := cms.Parse(der)
	if err != nil {
		return fmt.Errorf("TSA-down trigger: %w", err)
	}
	sum := sha256.Sum256(p.Signer.Signature)
	s.pki.SetTSADown(sum[:])
	s.log.Info().Str("sim_session", ss.id).Msg("TSA-down trigger: the TSA answers 503 for this signature")
	return nil
}

func pemCert(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
