// Package cades makes a provider's CAdES-BES signature long-term and
// validates long-term signatures offline.
//
// Long-term here is what Kazakhstan's verifiers and ETSI's CAdES B-LT ask
// for (DESIGN.md "Long-term validity"): the signature-time-stamp token of
// RFC 3161 over the signature value (unsigned attribute
// 1.2.840.113549.1.9.16.2.14), whose genTime is the moment of signing, and
// revocation values (1.2.840.113549.1.9.16.2.24, RFC 5126 §6.3.4) holding an
// OCSP response for the signer's certificate with status good and thisUpdate
// within five minutes of genTime. With both inside, the signature can be
// checked at any later date without asking any service: the signer's chain
// is checked as of genTime, proven by the time stamp.
package cades

import (
	"encoding/asn1"
	"errors"
	"time"
)

// OIDRevocationValues is the id-aa-ets-revocationValues unsigned attribute.
var OIDRevocationValues = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 24}

// MaxOCSPSkew is how far an OCSP response's thisUpdate may be from the time
// stamp's genTime and still prove the status at signing.
const MaxOCSPSkew = 5 * time.Minute

// Errors Seal wraps; the kiosk tells the subscriber which service is away.
var (
	// ErrTSAUnavailable: the time-stamp authority did not answer usefully.
	ErrTSAUnavailable = errors.New("time-stamp service unavailable")
	// ErrOCSPUnavailable: the OCSP responder did not answer usefully.
	ErrOCSPUnavailable = errors.New("OCSP service unavailable")
	// ErrRevoked: the signer's certificate is revoked (or unknown to its CA).
	ErrRevoked = errors.New("signer certificate revoked")
	// ErrNotLongTerm: the sealed signature did not validate.
	ErrNotLongTerm = errors.New("signature is not long-term valid")
)
