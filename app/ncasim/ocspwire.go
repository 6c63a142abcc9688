package ncasim

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// The OCSP request and response in DER (RFC 6960 §4.1, §4.2), written here
// rather than with golang.org/x/crypto/ocsp because that package reads only
// a request's first certificate and no request extensions, and writes the
// response's producedAt from the wall clock and any extensions into the
// single response, where a nonce (RFC 8954: responseExtensions) is not
// looked for. Its error responses and status numbers are used below, and the
// tests read every response with it.

type ocspRequest struct {
	TBSRequest        tbsRequest
	OptionalSignature asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type tbsRequest struct {
	Version       int           `asn1:"explicit,tag:0,default:0,optional"`
	RequestorName asn1.RawValue `asn1:"explicit,tag:1,optional"`
	RequestList   []singleRequest
	Extensions    []pkix.Extension `asn1:"explicit,tag:2,optional"`
}

type singleRequest struct {
	CertID     asn1.RawValue    // echoed raw in the answer
	Extensions []pkix.Extension `asn1:"explicit,tag:0,optional"`
}

type certID struct {
	HashAlgorithm  pkix.AlgorithmIdentifier
	IssuerNameHash []byte
	IssuerKeyHash  []byte
	SerialNumber   *big.Int
}

// Limits on what a request may hold: a kiosk asks for one certificate.
const (
	maxOCSPRequestBytes = 16 << 10
	maxCertIDs          = 16
	maxNonceBytes       = 32 // RFC 8954 §2.1
)

var errMalformed = errors.New("malformed OCSP request")

// parsedRequest is what the responder needs of a request.
type parsedRequest struct {
	certs []parsedCertID
	nonce *pkix.Extension // the request's nonce, echoed as sent
}

type parsedCertID struct {
	raw            []byte // the CertID's DER
	hash           crypto.Hash
	nameHash       []byte
	keyHash        []byte
	serial         *big.Int
	hashRecognised bool
}

var hashOIDs = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}{
	{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, crypto.SHA1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, crypto.SHA256},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, crypto.SHA384},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, crypto.SHA512},
}

// parseOCSPRequest reads a DER OCSPRequest. A signature on the request is
// ignored (RFC 6960 leaves requiring one to the responder).
func parseOCSPRequest(der []byte) (*parsedRequest, error) {
	if len(der) > maxOCSPRequestBytes {
		return nil, fmt.Errorf("%w: %d bytes", errMalformed, len(der))
	}
	var req ocspRequest
	rest, err := asn1.Unmarshal(der, &req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errMalformed, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: trailing data", errMalformed)
	}
	tbs := req.TBSRequest
	if tbs.Version != 0 {
		return nil, fmt.Errorf("%w: version %d", errMalformed, tbs.Version)
	}
	if n := len(tbs.RequestList); n == 0 || n > maxCertIDs {
		return nil, fmt.Errorf("%w: %d certificates asked", errMalformed, n)
	}
	out := &parsedRequest{}
	for _, sr := range tbs.RequestList {
		var id certID
		rest, err := asn1.Unmarshal(sr.CertID.FullBytes, &id)
		if err != nil || len(rest) != 0 || id.SerialNumber == nil {
			return nil, fmt.Errorf("%w: cert id", errMalformed)
		}
		c := parsedCertID{raw: sr.CertID.FullBytes, nameHash: id.IssuerNameHash, keyHash: id.IssuerKeyHash, serial: id.SerialNumber}
		for _, h := range hashOIDs {
			if id.HashAlgorithm.Algorithm.Equal(h.oid) {
				c.hash, c.hashRecognised = h.hash, true
			}
		}
		out.certs = append(out.certs, c)
	}
	for i, ext := range tbs.Extensions {
		if !ext.Id.Equal(oidOCSPNonce) {
			continue
		}
		if out.nonce != nil {
			return nil, fmt.Errorf("%w: two nonces", errMalformed)
		}
		var nonce []byte
		rest, err := asn1.Unmarshal(ext.Value, &nonce)
		if err != nil || len(rest) != 0 || len(nonce) == 0 || len(nonce) > maxNonceBytes {
			return nil, fmt.Errorf("%w: nonce must be an OCTET STRING of 1 to %d bytes", errMalformed, maxNonceBytes)
		}
		out.nonce = &tbs.Extensions[i]
	}
	return out, nil
}

type ocspResponse struct {
	Status   asn1.Enumerated
	Response responseBytes `asn1:"explicit,tag:0,optional"`
}

type responseBytes struct {
	ResponseType asn1.ObjectIdentifier
	Response     []byte
}

type basicOCSPResponse struct {
	TBSResponseData    asn1.RawValue
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
	Certs              []asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type responseData struct {
	Version     int `asn1:"optional,default:0,explicit,tag:0"`
	ResponderID asn1.RawValue
	ProducedAt  time.Time `asn1:"generalized"`
	Responses   []singleResponse
	Extensions  []pkix.Extension `asn1:"explicit,tag:1,optional"`
}

type singleResponse struct {
	CertID     asn1.RawValue
	Good       asn1.Flag   `asn1:"tag:0,optional"`
	Revoked    revokedInfo `asn1:"tag:1,optional"`
	Unknown    asn1.Flag   `asn1:"tag:2,optional"`
	ThisUpdate time.Time   `asn1:"generalized"`
	NextUpdate time.Time   `asn1:"generalized,explicit,tag:0,optional"`
}

type revokedInfo struct {
	RevocationTime time.Time       `asn1:"generalized"`
	Reason         asn1.Enumerated `asn1:"explicit,tag:0,optional"`
}

// responderByName is the ResponderID CHOICE byName [1] EXPLICIT Name.
func responderByName(rawSubject []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: rawSubject}
}
