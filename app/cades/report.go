package cades

import (
	"time"
)

// Indication is a validation's overall result, named as ETSI EN 319 102-1
// names them.
type Indication string

// The three indications.
const (
	TotalPassed   Indication = "TOTAL_PASSED"
	TotalFailed   Indication = "TOTAL_FAILED"
	Indeterminate Indication = "INDETERMINATE"
)

// Status of one check: PASSED, FAILED, or INDETERMINATE (it could not be
// decided, e.g. nothing is trusted, or an earlier check failed).
type Status = Indication

// Passed, Failed and Undecided are a check's statuses.
const (
	Passed    Status = "PASSED"
	Failed    Status = "FAILED"
	Undecided Status = "INDETERMINATE"
)

// Check IDs, in the order Validate runs them.
const (
	CheckFormat          = "cms_format"
	CheckSignerCert      = "signer_certificate"
	CheckDocumentDigest  = "document_digest"
	CheckSignatureValue  = "signature_value"
	CheckTimeStamp       = "timestamp_present"
	CheckTimeStampSig    = "timestamp_signature"
	CheckTSACert         = "timestamp_tsa_certificate"
	CheckTSAChain        = "timestamp_tsa_chain"
	CheckSigningTime     = "signing_time"
	CheckRevocation      = "revocation_values"
	CheckOCSPSignature   = "ocsp_signature"
	CheckOCSPChain       = "ocsp_responder_chain"
	CheckOCSPStatus      = "ocsp_status"
	CheckOCSPFreshness   = "ocsp_freshness"
	CheckSignerChain     = "signer_chain"
	CheckValidationTime  = "validation_time"
	subFormat            = "FORMAT_FAILURE"
	subHash              = "HASH_FAILURE"
	subSigCrypto         = "SIG_CRYPTO_FAILURE"
	subNoChain           = "NO_CERTIFICATE_CHAIN_FOUND"
	subRevoked           = "REVOKED"
	subNoPOE             = "NO_POE"
	subRevocationOutOfTm = "REVOCATION_OUT_OF_BOUNDS_NO_POE"
	subSignedDataMissing = "SIGNED_DATA_NOT_FOUND"
	subChainConstraints  = "CHAIN_CONSTRAINTS_FAILURE"
	subNotYetValid       = "NOT_YET_VALID"
)

// Check is one entry of a report.
type Check struct {
	ID            string `json:"id"`
	Status        Status `json:"status"`
	SubIndication string `json:"sub_indication,omitempty"`
	Reason        string `json:"reason"`
}

// Report is a validation report in the ETSI manner: the overall indication
// with a sub-indication and the reason of the check that decided it, then
// every check with its own status and reason. It names the signer only by
// common name and certificate serial (never the IIN).
type Report struct {
	Indication     Indication     `json:"indication"`
	SubIndication  string         `json:"sub_indication,omitempty"`
	Reason         string         `json:"reason"`
	ValidationTime time.Time      `json:"validation_time"`
	SigningTime    *time.Time     `json:"signing_time,omitempty"` // the time stamp's genTime
	Trust          string         `json:"trust"`
	Signer         *CertInfo      `json:"signer,omitempty"`
	TimeStamp      *TimeStampInfo `json:"timestamp,omitempty"`
	OCSP           *OCSPInfo      `json:"ocsp,omitempty"`
	Checks         []Check        `json:"checks"`
}

// CertInfo names a certificate.
type CertInfo struct {
	CommonName string    `json:"common_name"`
	Serial     string    `json:"serial"` // hex
	Issuer     string    `json:"issuer"`
	NotBefore  time.Time `json:"not_before"`
	NotAfter   time.Time `json:"not_after"`
}

// TimeStampInfo describes the signature time stamp.
type TimeStampInfo struct {
	GenTime time.Time `json:"gen_time"`
	Serial  string    `json:"serial"` // hex
	Policy  string    `json:"policy"`
	TSA     string    `json:"tsa"` // the TSA certificate's subject
}

// OCSPInfo describes the embedded OCSP response.
type OCSPInfo struct {
	Status     string    `json:"status"` // good, revoked, unknown
	Responder  string    `json:"responder"`
	ProducedAt time.Time `json:"produced_at"`
	ThisUpdate time.Time `json:"this_update"`
	NextUpdate time.Time `json:"next_update,omitzero"`
}

// Passed reports whether the signature is long-term valid.
func (r Report) Passed() bool { return r.Indication == TotalPassed }

// Failing returns the first check that failed, else the first undecided
// one, else nil: the one a refusal names.
func (r Report) Failing() *Check {
	for _, want := range []Status{Failed, Undecided} {
		for i := range r.Checks {
			if r.Checks[i].Status == want {
				return &r.Checks[i]
			}
		}
	}
	return nil
}

// add records a check.
func (r *Report) add(id string, st Status, sub, reason string) {
	r.Checks = append(r.Checks, Check{ID: id, Status: st, SubIndication: sub, Reason: reason})
}

// skip records checks that could not run because an earlier one failed.
func (r *Report) skip(why string, ids ...string) {
	for _, id := range ids {
		r.add(id, Undecided, "", "not checked: "+why)
	}
}

// conclude sets the overall indication: any failure fails the whole, else
// anything undecided leaves it indeterminate.
func (r *Report) conclude() {
	c := r.Failing()
	switch {
	case c == nil:
		r.Indication = TotalPassed
		r.Reason = "the signature is long-term valid: every check passed"
	case c.Status == Failed:
		r.Indication, r.SubIndication, r.Reason = TotalFailed, c.SubIndication, c.ID+": "+c.Reason
	default:
		r.Indication, r.SubIndication, r.Reason = Indeterminate, c.SubIndication, c.ID+": "+c.Reason
	}
}
