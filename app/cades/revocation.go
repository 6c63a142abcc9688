package cades

import (
	"encoding/asn1"
	"errors"
	"fmt"

	"almatel.kz/signkiosk/app/cms"
)

var oidOCSPBasic = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}

// revocationValues is RFC 5126's RevocationValues. crlVals is kept raw:
// this package writes OCSP only and reads CRLs as opaque proof it does not
// rely on.
type revocationValues struct {
	CRLVals  asn1.RawValue   `asn1:"optional,explicit,tag:0"`
	OCSPVals []asn1.RawValue `asn1:"optional,explicit,tag:1"` // BasicOCSPResponse each
	Other    asn1.RawValue   `asn1:"optional,explicit,tag:2"`
}

// ocspResponse is RFC 6960's OCSPResponse, the form a responder answers
// and `openssl ocsp -respin` reads.
type ocspResponse struct {
	Status   asn1.Enumerated
	Response responseBytes `asn1:"explicit,tag:0,optional"`
}

type responseBytes struct {
	Type     asn1.ObjectIdentifier
	Response []byte
}

// basicFromResponse takes the BasicOCSPResponse out of a successful
// OCSPResponse: revocation values hold the basic form.
func basicFromResponse(der []byte) ([]byte, error) {
	var r ocspResponse
	if err := cms.UnmarshalAll(der, &r); err != nil {
		return nil, fmt.Errorf("OCSP response: %w", err)
	}
	if r.Status != 0 || !r.Response.Type.Equal(oidOCSPBasic) {
		return nil, errors.New("OCSP response: not a successful basic response")
	}
	return r.Response.Response, nil
}

// responseFromBasic wraps a BasicOCSPResponse back into an OCSPResponse,
// for x/crypto/ocsp and openssl.
func responseFromBasic(basic []byte) ([]byte, error) {
	return asn1.Marshal(ocspResponse{Response: responseBytes{Type: oidOCSPBasic, Response: basic}})
}

// marshalRevocationValues makes the attribute value holding OCSP responses.
func marshalRevocationValues(basics ...[]byte) (asn1.RawValue, error) {
	rv := revocationValues{}
	for _, b := range basics {
		rv.OCSPVals = append(rv.OCSPVals, asn1.RawValue{FullBytes: b})
	}
	der, err := asn1.Marshal(rv)
	if err != nil {
		return asn1.RawValue{}, fmt.Errorf("revocation values: %w", err)
	}
	return asn1.RawValue{FullBytes: der}, nil
}

// ocspResponses returns the OCSP responses (as OCSPResponse DER) in a
// revocation-values attribute value.
func ocspResponses(v asn1.RawValue) ([][]byte, error) {
	var rv revocationValues
	if err := cms.UnmarshalAll(v.FullBytes, &rv); err != nil {
		return nil, fmt.Errorf("revocation values: %w", err)
	}
	var out [][]byte
	for _, b := range rv.OCSPVals {
		r, err := responseFromBasic(b.FullBytes)
		if err != nil {
			return nil, fmt.Errorf("revocation values: %w", err)
		}
		out = append(out, r)
	}
	return out, nil
}
