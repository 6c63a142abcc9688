package ncasim

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
)

var (
	// Name attributes pkix.Name has no field for.
	oidSurname   = asn1.ObjectIdentifier{2, 5, 4, 4}
	oidGivenName = asn1.ObjectIdentifier{2, 5, 4, 42}

	oidExtKeyUsage    = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidFreshestCRL    = asn1.ObjectIdentifier{2, 5, 29, 46}
	oidDeltaCRL       = asn1.ObjectIdentifier{2, 5, 29, 27}
	oidKPTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	oidOCSPNoCheck    = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}
	oidOCSPNonce      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}
	oidOCSPBasic      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}
	oidSHA256WithRSA  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidTSAPolicy      = asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2, 6, 1} // under the national CA's TSA arc

	// The national CA's policies: individual; remote identification; remote
	// identification by digital ID.
	policyIndividual      = mustOID(1, 2, 398, 3, 3, 4, 1, 1)
	policyRemoteID        = mustOID(1, 2, 398, 3, 3, 4, 3, 2)
	policyRemoteDigitalID = mustOID(1, 2, 398, 3, 3, 4, 3, 2, 1)
)

// mustOID is for the constant OIDs above; it panics at start-up on a typo.
func mustOID(arcs ...uint64) x509.OID {
	oid, err := x509.OIDFromInts(arcs)
	if err != nil {
		panic(err)
	}
	return oid
}

// asn1NULL is the DER of NULL, id-pkix-ocsp-nocheck's value.
var asn1NULL = []byte{0x05, 0x00}

// criticalEKU is an extended key usage extension marked critical.
func criticalEKU(oids ...asn1.ObjectIdentifier) (pkix.Extension, error) {
	v, err := asn1.Marshal(oids)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("extended key usage: %w", err)
	}
	return pkix.Extension{Id: oidExtKeyUsage, Critical: true, Value: v}, nil
}

// distributionPoint and distributionPointName are RFC 5280 §4.2.1.13's,
// as crypto/x509 marshals them for CRLDistributionPoints.
type distributionPoint struct {
	DistributionPoint distributionPointName `asn1:"optional,tag:0"`
}

type distributionPointName struct {
	FullName []asn1.RawValue `asn1:"optional,tag:0"`
}

// freshestCRL is the freshest-CRL extension (RFC 5280 §4.2.1.15): the
// distribution point of the delta CRL, non-critical.
func freshestCRL(uri string) (pkix.Extension, error) {
	v, err := asn1.Marshal([]distributionPoint{{
		DistributionPoint: distributionPointName{
			FullName: []asn1.RawValue{{Tag: 6, Class: asn1.ClassContextSpecific, Bytes: []byte(uri)}},
		},
	}})
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("freshest CRL: %w", err)
	}
	return pkix.Extension{Id: oidFreshestCRL, Value: v}, nil
}
