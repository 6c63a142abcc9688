// Package tsp makes and checks RFC 3161 time stamps: the client a signing
// flow asks a time-stamp authority with, the token check a verifier runs,
// and an Authority the simulated national CA serves.
//
// Why hand-written: github.com/digitorus/timestamp (latest
// v0.0.0-20260914073129-b4b58b92aa51) declares go 1.27 and needs
// github.com/digitorus/pkcs7, which also needs Go 1.27, while this module
// is on Go 1.26. The structures are small, and the project already builds
// CMS with encoding/asn1 (package cms), on which the tokens here are made.
package tsp

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"time"
)

// Object identifiers of RFC 3161.
var (
	// OIDSignatureTimeStampToken is the unsigned attribute carrying a
	// token over a signature value (RFC 3161 appendix A).
	OIDSignatureTimeStampToken = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	// OIDTSTInfo is id-ct-TSTInfo, the eContentType of a token.
	OIDTSTInfo = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}

	oidTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	oidExtKeyUsage  = asn1.ObjectIdentifier{2, 5, 29, 37}
)

// Errors the checks wrap, so callers can tell what failed.
var (
	ErrMalformed      = errors.New("malformed time stamp")
	ErrImprint        = errors.New("time stamp is not over this data")
	ErrTokenSignature = errors.New("time-stamp token signature is invalid")
	ErrTSACert        = errors.New("certificate is not fit for time stamping")
	ErrTSAUntrusted   = errors.New("TSA certificate does not chain to a trusted root at the time stamp's time")
	// ErrUnavailable: the TSA could not answer now; ask again later.
	ErrUnavailable = errors.New("time-stamp authority unavailable")
	// ErrRejected: the TSA refused the request or answered nonsense;
	// asking again the same way will not help.
	ErrRejected = errors.New("time-stamp request rejected")
)

// maxMessage bounds a request or a reply: a token with a short chain is a
// few KB.
const maxMessage = 1 << 20

const (
	contentTypeQuery = "application/timestamp-query"
	contentTypeReply = "application/timestamp-reply"
)

type messageImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

type timeStampReq struct {
	Version        int
	MessageImprint messageImprint
	ReqPolicy      asn1.ObjectIdentifier `asn1:"optional"`
	Nonce          *big.Int              `asn1:"optional"`
	CertReq        bool                  `asn1:"optional"` // DEFAULT FALSE: omitted when false
	Extensions     []pkix.Extension      `asn1:"optional,tag:0"`
}

type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprint
	SerialNumber   *big.Int
	GenTime        time.Time        `asn1:"generalized"`
	Accuracy       accuracy         `asn1:"optional"`
	Ordering       bool             `asn1:"optional"`
	Nonce          *big.Int         `asn1:"optional"`
	TSA            asn1.RawValue    `asn1:"optional,explicit,tag:0"` // marshalled with its own [0] wrapper
	Extensions     []pkix.Extension `asn1:"optional,tag:1"`
}

// accuracy: RFC 3161 uses IMPLICIT tags; millis and micros are 1..999, so
// zero means absent.
type accuracy struct {
	Seconds int64 `asn1:"optional"`
	Millis  int   `asn1:"optional,tag:0"`
	Micros  int   `asn1:"optional,tag:1"`
}

type pkiStatusInfo struct {
	Status       int
	StatusString []asn1.RawValue `asn1:"optional"` // PKIFreeText: UTF8Strings
	FailInfo     asn1.BitString  `asn1:"optional"`
}

type timeStampResp struct {
	Status         pkiStatusInfo
	TimeStampToken asn1.RawValue `asn1:"optional"`
}
