package tsp

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math"
	"math/big"
	"time"

	"almatel.kz/signkiosk/app/cms"
)

// Token is a parsed TimeStampToken (RFC 3161 §2.4.2). ParseToken checks
// its structure only; Verify checks what it says.
type Token struct {
	Raw           []byte // ContentInfo DER of the token (what goes into the unsigned attribute value)
	GenTime       time.Time
	Policy        asn1.ObjectIdentifier
	Serial        *big.Int
	Nonce         *big.Int // nil if none
	HashAlgorithm asn1.ObjectIdentifier
	Imprint       []byte        // hashedMessage
	Accuracy      time.Duration // 0 if absent
	Ordering      bool
	TSAName       string            // from the tsa field if present, else ""
	Signer        *x509.Certificate // the TSA certificate (from the token's certificates), nil if absent
	Certificates  []*x509.Certificate

	parsed *cms.Parsed
	tsa    asn1.RawValue // the GeneralName, when present
}

// ParseToken reads a DER TimeStampToken: a CMS SignedData whose eContent
// is a TSTInfo. Errors wrap ErrMalformed.
func ParseToken(der []byte) (*Token, error) {
	p, err := cms.Parse(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if !p.EContentType.Equal(OIDTSTInfo) || p.EContent == nil {
		return nil, fmt.Errorf("%w: content is not an encapsulated TSTInfo", ErrMalformed)
	}
	var info tstInfo
	if err := cms.UnmarshalAll(p.EContent, &info); err != nil {
		return nil, fmt.Errorf("%w: TSTInfo: %v", ErrMalformed, err)
	}
	if info.Version != 1 {
		return nil, fmt.Errorf("%w: TSTInfo version %d", ErrMalformed, info.Version)
	}
	if info.GenTime.Location() != time.UTC {
		return nil, fmt.Errorf("%w: genTime is not in UTC", ErrMalformed)
	}
	if len(info.MessageImprint.HashedMessage) == 0 {
		return nil, fmt.Errorf("%w: empty message imprint", ErrMalformed)
	}
	acc, err := info.Accuracy.duration()
	if err != nil {
		return nil, err
	}
	for _, e := range info.Extensions {
		if e.Critical {
			return nil, fmt.Errorf("%w: critical TSTInfo extension %v", ErrMalformed, e.Id)
		}
	}
	t := &Token{
		Raw:           der,
		GenTime:       info.GenTime,
		Policy:        info.Policy,
		Serial:        info.SerialNumber,
		Nonce:         info.Nonce,
		HashAlgorithm: info.MessageImprint.HashAlgorithm.Algorithm,
		Imprint:       info.MessageImprint.HashedMessage,
		Accuracy:      acc,
		Ordering:      info.Ordering,
		Signer:        p.SignerCert(),
		Certificates:  p.Certificates,
		parsed:        p,
	}
	if len(info.TSA.FullBytes) != 0 {
		if err := cms.UnmarshalAll(info.TSA.Bytes, &t.tsa); err != nil || t.tsa.Class != asn1.ClassContextSpecific {
			return nil, fmt.Errorf("%w: tsa is not a GeneralName", ErrMalformed)
		}
		t.TSAName = generalNameString(t.tsa)
	}
	return t, nil
}

func (a accuracy) duration() (time.Duration, error) {
	if a.Seconds < 0 || a.Seconds > math.MaxInt64/int64(time.Second)-1 ||
		a.Millis < 0 || a.Millis > 999 || a.Micros < 0 || a.Micros > 999 {
		return 0, fmt.Errorf("%w: accuracy out of range", ErrMalformed)
	}
	return time.Duration(a.Seconds)*time.Second + time.Duration(a.Millis)*time.Millisecond +
		time.Duration(a.Micros)*time.Microsecond, nil
}

// GeneralName tags (RFC 5280 §4.2.1.6).
const (
	gnRFC822Name    = 1
	gnDNSName       = 2
	gnDirectoryName = 4
	gnURI           = 6
)

// generalNameString renders a directoryName in RFC 4514 form and the
// string names as they are; other forms give "".
func generalNameString(gn asn1.RawValue) string {
	switch gn.Tag {
	case gnDirectoryName:
		var rdn pkix.RDNSequence
		if cms.UnmarshalAll(gn.Bytes, &rdn) != nil {
			return ""
		}
		var n pkix.Name
		n.FillFromRDNSequence(&rdn)
		return n.String()
	case gnRFC822Name, gnDNSName, gnURI:
		return string(gn.Bytes)
	}
	return ""
}
