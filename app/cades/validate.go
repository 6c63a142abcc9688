package cades

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"

	"almatel.kz/signkiosk/app/cms"
	"almatel.kz/signkiosk/app/tsp"
)

var oidSigningTime = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}

// Options tune Validate.
type Options struct {
	// Roots are the trusted CAs for the signer, the TSA and the OCSP
	// responder. Nil trusts nothing: the chain checks are INDETERMINATE.
	Roots *x509.CertPool
	// Trust names the roots for the report ("--roots FILE", "demo").
	Trust string
	// At is the validation time (default: now). A later date shows that a
	// good signature stays valid after its certificates expire.
	At time.Time
}

// Result is a report and what validation found, for the card and
// --extract. Any field but Report may be nil when its check failed.
type Result struct {
	Report  Report
	Signer  *x509.Certificate
	Token   *tsp.Token
	OCSP    *ocsp.Response
	OCSPRaw []byte              // the OCSP response as OCSPResponse DER
	Certs   []*x509.Certificate // SignedData.certificates
}

// Validate checks a detached long-term CMS over content, offline: format,
// signer certificate, document digest and signature value; the time stamp
// over the signature value, its TSA certificate and chain; genTime as the
// signing time; the OCSP response, its responder's chain, status good and
// freshness against genTime; the signer's chain at genTime; and the
// validation time against all of it.
func Validate(cmsDER, content []byte, opts Options) (res Result) {
	at := opts.At
	if at.IsZero() {
		at = time.Now()
	}
	res = Result{Report: Report{ValidationTime: at.UTC(), Trust: opts.Trust}}
	r := &res.Report
	if opts.Roots == nil {
		r.Trust = "nothing (no trusted roots given)"
	}
	defer r.conclude()

	p, err := cms.Parse(cmsDER)
	if err == nil && (len(p.EContent) != 0 || !p.EContentType.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1})) {
		err = errors.New("not a detached id-data signature")
	}
	if err != nil {
		r.add(CheckFormat, Failed, subFormat, err.Error())
		r.skip("the CMS is not readable", CheckSignerCert)
		return res
	}
	r.add(CheckFormat, Passed, "", "detached CMS SignedData, one signer")
	res.Certs = p.Certificates
	signer := p.SignerCert()
	if signer == nil {
		r.add(CheckSignerCert, Failed, subNoChain, "the signer's certificate is not in the CMS")
		return res
	}
	res.Signer = signer
	r.Signer = certInfo(signer)
	r.add(CheckSignerCert, Passed, "", fmt.Sprintf("present: %s, serial %s", signer.Subject.CommonName, hexSerial(signer)))

	switch _, err := p.VerifySignerInfo(content); {
	case err == nil:
		r.add(CheckDocumentDigest, Passed, "", "the signed message digest is the document's SHA-256")
		r.add(CheckSignatureValue, Passed, "", "the signature over the signed attributes verifies with the signer's key")
	case errors.Is(err, cms.ErrContentDigest):
		r.add(CheckDocumentDigest, Failed, subHash, "the document does not match the signed message digest")
		r.skip("the document does not match", CheckSignatureValue)
	default:
		r.add(CheckDocumentDigest, Undecided, "", "not checked: "+err.Error())
		r.add(CheckSignatureValue, Failed, subSigCrypto, err.Error())
	}

	pool := opts.Roots
	if pool == nil {
		pool = x509.NewCertPool() // trusts nothing; the chain checks say so
	}
	genTime, ok := checkTimeStamp(p, pool, opts.Roots != nil, &res)
	if !ok {
		r.skip("no trusted signing time", CheckSigningTime, CheckRevocation, CheckSignerChain, CheckValidationTime)
		return res
	}
	r.SigningTime = &genTime
	checkClaimedTime(p, genTime, r)
	checkOCSP(p, signer, genTime, pool, opts.Roots != nil, &res)
	checkSignerChain(signer, p.Certificates, genTime, opts.Roots, r)
	checkValidationTime(at, genTime, &res)
	return res
}

// checkTimeStamp finds and verifies the signature time stamp and returns
// its genTime, or false when there is no time to validate at.
func checkTimeStamp(p *cms.Parsed, pool *x509.CertPool, trusted bool, res *Result) (time.Time, bool) {
	r := &res.Report
	vals := p.UnsignedValues(tsp.OIDSignatureTimeStampToken)
	if len(vals) == 0 {
		r.add(CheckTimeStamp, Failed, subNoPOE, "no signature time stamp: the signature has no trusted time (CAdES-BES, not long-term)")
		r.skip("no time stamp", CheckTimeStampSig, CheckTSACert, CheckTSAChain)
		return time.Time{}, false
	}
	tok, err := tsp.ParseToken(vals[0].FullBytes)
	if err != nil {
		r.add(CheckTimeStamp, Failed, subFormat, "the time stamp is not readable: "+err.Error())
		r.skip("the time stamp is not readable", CheckTimeStampSig, CheckTSACert, CheckTSAChain)
		return time.Time{}, false
	}
	res.Token = tok
	r.TimeStamp = &TimeStampInfo{GenTime: tok.GenTime.UTC(), Serial: tok.Serial.Text(16), Policy: tok.Policy.String()}
	if tok.Signer != nil {
		r.TimeStamp.TSA = tok.Signer.Subject.String()
	}
	r.add(CheckTimeStamp, Passed, "", fmt.Sprintf("RFC 3161 token, genTime %s, policy %s", tok.GenTime.UTC().Format(time.RFC3339), tok.Policy))
	err = tok.Verify(p.Signer.Signature, tsp.VerifyOptions{Roots: pool, Intermediates: p.Certificates})
	switch {
	case err == nil:
		r.add(CheckTimeStampSig, Passed, "", "the token covers this signature value and its TSA signature verifies")
		r.add(CheckTSACert, Passed, "", "the TSA certificate has the critical extended key usage timeStamping")
		r.add(CheckTSAChain, Passed, "", "the TSA chain leads to a trusted root and was valid at genTime")
		return tok.GenTime, true
	case errors.Is(err, tsp.ErrTSAUntrusted):
		r.add(CheckTimeStampSig, Passed, "", "the token covers this signature value and its TSA signature verifies")
		r.add(CheckTSACert, Passed, "", "the TSA certificate has the critical extended key usage timeStamping")
		if !trusted {
			r.add(CheckTSAChain, Undecided, subNoChain, "no trusted roots given: the TSA is not trusted")
			return tok.GenTime, true
		}
		r.add(CheckTSAChain, Failed, subNoChain, err.Error())
		return time.Time{}, false
	case errors.Is(err, tsp.ErrTSACert) && tok.Signer == nil:
		r.add(CheckTimeStampSig, Failed, subNoChain, "the token carries no TSA certificate to check its signature with")
		r.skip("no TSA certificate", CheckTSACert, CheckTSAChain)
	case errors.Is(err, tsp.ErrTSACert):
		r.add(CheckTimeStampSig, Passed, "", "the token covers this signature value and its TSA signature verifies")
		r.add(CheckTSACert, Failed, subChainConstraints, err.Error())
		r.skip("the TSA certificate is not fit", CheckTSAChain)
	case errors.Is(err, tsp.ErrImprint):
		r.add(CheckTimeStampSig, Failed, subHash, "the time stamp is over other data, not this signature value")
		r.skip("the time stamp is not this signature's", CheckTSACert, CheckTSAChain)
	default:
		r.add(CheckTimeStampSig, Failed, subSigCrypto, err.Error())
		r.skip("the time stamp does not verify", CheckTSACert, CheckTSAChain)
	}
	return time.Time{}, false
}

// checkClaimedTime records genTime as the signing time; a signing-time the
// signature claims after it was stamped is a lie.
func checkClaimedTime(p *cms.Parsed, genTime time.Time, r *Report) {
	reason := fmt.Sprintf("genTime %s is the moment of signing", genTime.UTC().Format(time.RFC3339))
	if v, ok := p.SignedValue(oidSigningTime); ok {
		var claimed time.Time
		if _, err := asn1.Unmarshal(v.FullBytes, &claimed); err == nil {
			if claimed.After(genTime.Add(MaxOCSPSkew)) {
				r.add(CheckSigningTime, Failed, subNotYetValid, fmt.Sprintf("the signature claims signing-time %s, after its time stamp's genTime %s",
					claimed.UTC().Format(time.RFC3339), genTime.UTC().Format(time.RFC3339)))
				return
			}
			reason += fmt.Sprintf(" (the signature's own signing-time %s is not trusted)", claimed.UTC().Format(time.RFC3339))
		}
	}
	r.add(CheckSigningTime, Passed, "", reason)
}

// checkSignerChain checks the signer's chain as of genTime.
func checkSignerChain(signer *x509.Certificate, certs []*x509.Certificate, genTime time.Time, roots *x509.CertPool, r *Report) {
	if signer.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		r.add(CheckSignerChain, Failed, subChainConstraints, "the signer certificate's key usage allows no signing")
		return
	}
	if roots == nil {
		r.add(CheckSignerChain, Undecided, subNoChain, "no trusted roots given: the signer's issuer is not trusted")
		return
	}
	if _, err := signer.Verify(x509.VerifyOptions{Roots: roots, Intermediates: poolOf(certs), CurrentTime: genTime,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		r.add(CheckSignerChain, Failed, subNoChain, fmt.Sprintf("at genTime: %v", err))
		return
	}
	r.add(CheckSignerChain, Passed, "", fmt.Sprintf("the signer's chain leads to a trusted root and was valid at genTime (certificate %s – %s)",
		signer.NotBefore.UTC().Format(time.DateOnly), signer.NotAfter.UTC().Format(time.DateOnly)))
}

// checkValidationTime says how the validation time relates to the proof:
// before the signing it fails; after the certificates expired it passes,
// because the time stamp and the OCSP proof fix everything at genTime.
func checkValidationTime(at, genTime time.Time, res *Result) {
	r := &res.Report
	if at.Before(genTime.Add(-MaxOCSPSkew)) {
		r.add(CheckValidationTime, Failed, subNotYetValid, fmt.Sprintf("validation time %s is before the signing time %s",
			at.UTC().Format(time.RFC3339), genTime.UTC().Format(time.RFC3339)))
		return
	}
	var expired []string
	for _, c := range []struct {
		name string
		cert *x509.Certificate
	}{{"signer's", res.Signer}, {"TSA's", tokenSigner(res.Token)}, {"OCSP responder's", ocspCert(res.OCSP)}} {
		if c.cert != nil && at.After(c.cert.NotAfter) {
			expired = append(expired, fmt.Sprintf("the %s certificate expired %s", c.name, c.cert.NotAfter.UTC().Format(time.DateOnly)))
		}
	}
	if len(expired) == 0 {
		r.add(CheckValidationTime, Passed, "", "every certificate is still within its validity")
		return
	}
	r.add(CheckValidationTime, Passed, "", fmt.Sprintf("%s; the signature stays valid: its time stamp proves it existed at %s, "+
		"when the chain was valid and the OCSP proof embedded with it said good",
		strings.Join(expired, ", "), genTime.UTC().Format(time.RFC3339)))
}

func tokenSigner(t *tsp.Token) *x509.Certificate {
	if t == nil {
		return nil
	}
	return t.Signer
}

func ocspCert(o *ocsp.Response) *x509.Certificate {
	if o == nil {
		return nil
	}
	return o.Certificate
}

func poolOf(certs []*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

func hexSerial(c *x509.Certificate) string { return c.SerialNumber.Text(16) }

func certInfo(c *x509.Certificate) *CertInfo {
	return &CertInfo{CommonName: c.Subject.CommonName, Serial: hexSerial(c), Issuer: c.Issuer.String(),
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC()}
}
