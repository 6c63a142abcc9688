package cades

import (
	"crypto/x509"
	"fmt"
	"time"

	"golang.org/x/crypto/ocsp"

	"almatel.kz/signkiosk/app/cms"
)

// checkOCSP finds the OCSP response for the signer among the revocation
// values and checks its signature, its responder's chain, the status and
// that it was made within MaxOCSPSkew of genTime.
func checkOCSP(p *cms.Parsed, signer *x509.Certificate, genTime time.Time, pool *x509.CertPool, trusted bool, res *Result) {
	r := &res.Report
	later := []string{CheckOCSPSignature, CheckOCSPChain, CheckOCSPStatus, CheckOCSPFreshness}
	vals := p.UnsignedValues(OIDRevocationValues)
	if len(vals) == 0 {
		r.add(CheckRevocation, Failed, subNoPOE, "no revocation values: nothing proves the certificate was good at signing")
		r.skip("no OCSP response", later...)
		return
	}
	var raws [][]byte
	for _, v := range vals {
		rs, err := ocspResponses(v)
		if err != nil {
			r.add(CheckRevocation, Failed, subFormat, err.Error())
			r.skip("the revocation values are not readable", later...)
			return
		}
		raws = append(raws, rs...)
	}
	issuer := issuerOf(signer, p.Certificates)
	if issuer == nil {
		r.add(CheckRevocation, Undecided, subNoChain, "the signer's issuing CA certificate is not in the CMS: the OCSP response cannot be checked")
		r.skip("no issuer certificate", later...)
		return
	}
	resp, raw, err := pickOCSP(raws, signer, issuer, genTime)
	if err != nil {
		r.add(CheckRevocation, Failed, subNoPOE, err.Error())
		r.skip("no OCSP response for the signer", later...)
		return
	}
	res.OCSP, res.OCSPRaw = resp, raw
	r.OCSP = ocspInfo(resp, issuer)
	r.add(CheckRevocation, Passed, "", fmt.Sprintf("an OCSP response for the signer's certificate, produced %s", resp.ProducedAt.UTC().Format(time.RFC3339)))
	// ParseResponseForCert verified the response's signature, by the
	// issuer itself or by a responder certificate the issuer signed.
	r.add(CheckOCSPSignature, Passed, "", "the OCSP response's signature verifies, by a responder the signer's CA certified")
	checkResponder(resp, issuer, p.Certificates, pool, trusted, r)

	switch resp.Status {
	case ocsp.Good:
		r.add(CheckOCSPStatus, Passed, "", "good")
	case ocsp.Revoked:
		if resp.RevokedAt.After(genTime) {
			r.add(CheckOCSPStatus, Passed, "", fmt.Sprintf("revoked %s, after the signing time", resp.RevokedAt.UTC().Format(time.RFC3339)))
		} else {
			r.add(CheckOCSPStatus, Failed, subRevoked, fmt.Sprintf("the signer's certificate was revoked %s (reason %d), before the signing time",
				resp.RevokedAt.UTC().Format(time.RFC3339), resp.RevocationReason))
		}
	default:
		r.add(CheckOCSPStatus, Failed, subRevoked, "the signer's certificate is unknown to its CA's responder")
	}
	if d := resp.ThisUpdate.Sub(genTime).Abs(); d > MaxOCSPSkew {
		r.add(CheckOCSPFreshness, Failed, subRevocationOutOfTm, fmt.Sprintf("thisUpdate %s is %s from genTime, more than %s",
			resp.ThisUpdate.UTC().Format(time.RFC3339), d.Round(time.Second), MaxOCSPSkew))
	} else {
		r.add(CheckOCSPFreshness, Passed, "", fmt.Sprintf("thisUpdate %s is within %s of genTime", resp.ThisUpdate.UTC().Format(time.RFC3339), MaxOCSPSkew))
	}
}

// checkResponder checks a delegated responder's certificate: id-kp-
// OCSPSigning, and a chain to a trusted root valid when it answered.
func checkResponder(resp *ocsp.Response, issuer *x509.Certificate, certs []*x509.Certificate, pool *x509.CertPool, trusted bool, r *Report) {
	rc := resp.Certificate
	if rc == nil {
		rc = issuer // the CA answered itself; its chain is the signer's
	}
	if rc != issuer {
		fit := false
		for _, u := range rc.ExtKeyUsage {
			fit = fit || u == x509.ExtKeyUsageOCSPSigning
		}
		if !fit {
			r.add(CheckOCSPChain, Failed, subChainConstraints, "the OCSP responder's certificate lacks id-kp-OCSPSigning")
			return
		}
	}
	if !trusted {
		r.add(CheckOCSPChain, Undecided, subNoChain, "no trusted roots given: the OCSP responder is not trusted")
		return
	}
	inter := poolOf(append(certs, issuer))
	if _, err := rc.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, CurrentTime: resp.ProducedAt,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		r.add(CheckOCSPChain, Failed, subNoChain, fmt.Sprintf("when it answered: %v", err))
		return
	}
	r.add(CheckOCSPChain, Passed, "", "the responder's chain leads to a trusted root and was valid when it answered")
}

// pickOCSP returns the response for signer made closest to genTime.
func pickOCSP(raws [][]byte, signer, issuer *x509.Certificate, genTime time.Time) (*ocsp.Response, []byte, error) {
	var best *ocsp.Response
	var bestRaw []byte
	var lastErr error
	for _, raw := range raws {
		resp, err := ocsp.ParseResponseForCert(raw, signer, issuer)
		if err != nil {
			lastErr = err
			continue
		}
		if best == nil || resp.ThisUpdate.Sub(genTime).Abs() < best.ThisUpdate.Sub(genTime).Abs() {
			best, bestRaw = resp, raw
		}
	}
	if best == nil {
		if lastErr != nil {
			return nil, nil, fmt.Errorf("no valid OCSP response for the signer's certificate: %v", lastErr)
		}
		return nil, nil, fmt.Errorf("no OCSP response for the signer's certificate")
	}
	return best, bestRaw, nil
}

// issuerOf finds the certificate that signed c among certs.
func issuerOf(c *x509.Certificate, certs []*x509.Certificate) *x509.Certificate {
	for _, i := range certs {
		if i != c && i.IsCA && c.CheckSignatureFrom(i) == nil {
			return i
		}
	}
	return nil
}

func ocspInfo(resp *ocsp.Response, issuer *x509.Certificate) *OCSPInfo {
	info := &OCSPInfo{Status: statusName(resp.Status), ProducedAt: resp.ProducedAt.UTC(), ThisUpdate: resp.ThisUpdate.UTC(), NextUpdate: resp.NextUpdate.UTC()}
	if resp.Certificate != nil {
		info.Responder = resp.Certificate.Subject.String()
	} else {
		info.Responder = issuer.Subject.String()
	}
	return info
}

func statusName(s int) string {
	switch s {
	case ocsp.Good:
		return "good"
	case ocsp.Revoked:
		return "revoked"
	}
	return "unknown"
}
