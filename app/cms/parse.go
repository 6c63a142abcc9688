package cms

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"slices"
)

// Attribute is a CMS attribute (RFC 5652 §5.3).
type Attribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

// Parsed is a single-signer SignedData as Parse read it. Its fields are
// read-only views of the input.
type Parsed struct {
	Raw          []byte // the whole ContentInfo
	EContentType asn1.ObjectIdentifier
	EContent     []byte              // nil when detached
	Certificates []*x509.Certificate // SignedData.certificates, in order
	Signer       SignerInfo
}

// SignerInfo is the one signer of a Parsed.
type SignerInfo struct {
	IssuerRaw          []byte // SID issuerAndSerialNumber
	Serial             *big.Int
	DigestAlgorithm    asn1.ObjectIdentifier
	SignatureAlgorithm asn1.ObjectIdentifier
	SignedAttrs        []byte      // DER re-tagged as SET (0x31): the bytes the signature covers
	Signed             []Attribute // parsed signed attributes
	Signature          []byte      // the signature value (what a signature time-stamp is taken over)
	Unsigned           []Attribute
}

// parsedSignedData is SignedData with the parts Parse checks itself left raw.
type parsedSignedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue   `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue   `asn1:"optional,tag:1"`
	SignerInfos      []asn1.RawValue `asn1:"set"`
}

// parsedSignerInfo leaves the SID raw: it is a CHOICE.
type parsedSignerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

// Parse reads a DER ContentInfo holding a SignedData with exactly one
// signer identified by issuer and serial number. It checks structure only:
// VerifySignerInfo checks the signature. Errors wrap ErrMalformed or
// ErrUnsupported.
func Parse(der []byte) (*Parsed, error) {
	if len(der) > maxCMSBytes {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(der))
	}
	var ci contentInfo
	if err := UnmarshalAll(der, &ci); err != nil {
		return nil, fmt.Errorf("%w: content info: %v", ErrMalformed, err)
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, fmt.Errorf("%w: content type %v is not signed-data", ErrUnsupported, ci.ContentType)
	}
	if !ci.Content.IsCompound {
		return nil, fmt.Errorf("%w: content info: no content", ErrMalformed)
	}
	var sd parsedSignedData
	if err := UnmarshalAll(ci.Content.Bytes, &sd); err != nil {
		return nil, fmt.Errorf("%w: signed data: %v", ErrMalformed, err)
	}
	// encoding/asn1 ignores elements after the last field of a SEQUENCE;
	// CMS has no extension points there, so Parse refuses them.
	if _, err := checkFields(der, 2, "content info"); err != nil {
		return nil, err
	}
	sdFields, err := checkFields(ci.Content.Bytes, 4+present(sd.Certificates)+present(sd.CRLs), "signed data")
	if err != nil {
		return nil, err
	}
	if _, err := checkFields(sdFields[2].FullBytes, 1+present(sd.EncapContentInfo.EContent), "encapsulated content info"); err != nil {
		return nil, err
	}
	if sd.Version != 1 && sd.Version != 3 {
		return nil, fmt.Errorf("%w: signed data version %d", ErrUnsupported, sd.Version)
	}
	p := &Parsed{Raw: der, EContentType: sd.EncapContentInfo.EContentType}
	if ec := sd.EncapContentInfo.EContent; len(ec.FullBytes) != 0 {
		var octets []byte
		if !ec.IsCompound {
			return nil, fmt.Errorf("%w: eContent is not wrapped", ErrMalformed)
		}
		if err := UnmarshalAll(ec.Bytes, &octets); err != nil {
			return nil, fmt.Errorf("%w: eContent: %v", ErrMalformed, err)
		}
		p.EContent = append([]byte{}, octets...) // non-nil even when empty
	}
	if c := sd.Certificates; len(c.FullBytes) != 0 {
		if !c.IsCompound {
			return nil, fmt.Errorf("%w: certificates are not a SET", ErrMalformed)
		}
		certs, err := x509.ParseCertificates(c.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: certificates: %v", ErrMalformed, err)
		}
		p.Certificates = certs
	}
	if len(sd.SignerInfos) != 1 {
		return nil, fmt.Errorf("%w: %d signers, want 1", ErrUnsupported, len(sd.SignerInfos))
	}
	si, err := parseSignerInfo(sd.SignerInfos[0].FullBytes)
	if err != nil {
		return nil, err
	}
	p.Signer = *si
	return p, nil
}

func parseSignerInfo(der []byte) (*SignerInfo, error) {
	var raw parsedSignerInfo
	if err := UnmarshalAll(der, &raw); err != nil {
		return nil, fmt.Errorf("%w: signer info: %v", ErrMalformed, err)
	}
	if _, err := checkFields(der, 5+present(raw.SignedAttrs)+present(raw.UnsignedAttrs), "signer info"); err != nil {
		return nil, err
	}
	if raw.SID.Class != asn1.ClassUniversal || raw.SID.Tag != asn1.TagSequence {
		return nil, fmt.Errorf("%w: signer identified by subject key identifier", ErrUnsupported)
	}
	if raw.Version != 1 {
		return nil, fmt.Errorf("%w: signer info version %d with issuerAndSerialNumber", ErrMalformed, raw.Version)
	}
	var sid issuerAndSerial
	if err := UnmarshalAll(raw.SID.FullBytes, &sid); err != nil {
		return nil, fmt.Errorf("%w: signer identifier: %v", ErrMalformed, err)
	}
	if _, err := checkFields(raw.SID.FullBytes, 2, "signer identifier"); err != nil {
		return nil, err
	}
	if sid.Issuer.Class != asn1.ClassUniversal || sid.Issuer.Tag != asn1.TagSequence || !sid.Issuer.IsCompound {
		return nil, fmt.Errorf("%w: signer identifier: issuer is not a Name", ErrMalformed)
	}
	si := &SignerInfo{
		IssuerRaw:          sid.Issuer.FullBytes,
		Serial:             sid.Serial,
		DigestAlgorithm:    raw.DigestAlgorithm.Algorithm,
		SignatureAlgorithm: raw.SignatureAlgorithm.Algorithm,
		Signature:          raw.Signature,
	}
	if len(raw.SignedAttrs.FullBytes) != 0 {
		set, list, err := parseAttributes(raw.SignedAttrs, "signed")
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, a := range list {
			// RFC 5652 §11 and CAdES allow each signed attribute once.
			if k := a.Type.String(); seen[k] {
				return nil, fmt.Errorf("%w: signed attribute %s repeated", ErrMalformed, k)
			} else {
				seen[k] = true
			}
		}
		si.SignedAttrs, si.Signed = set, list
	}
	if len(raw.UnsignedAttrs.FullBytes) != 0 {
		_, list, err := parseAttributes(raw.UnsignedAttrs, "unsigned")
		if err != nil {
			return nil, err
		}
		si.Unsigned = list
	}
	return si, nil
}

// parseAttributes reads an IMPLICIT [n] SET OF Attribute, returning it
// re-tagged as the universal SET it stands for and its attributes.
func parseAttributes(raw asn1.RawValue, what string) ([]byte, []Attribute, error) {
	if !raw.IsCompound {
		return nil, nil, fmt.Errorf("%w: %s attributes are not a SET", ErrMalformed, what)
	}
	set := slices.Clone(raw.FullBytes)
	set[0] = 0x31
	var raws []asn1.RawValue
	if _, err := asn1.UnmarshalWithParams(set, &raws, "set"); err != nil {
		return nil, nil, fmt.Errorf("%w: %s attributes: %v", ErrMalformed, what, err)
	}
	list := make([]Attribute, len(raws))
	for i, r := range raws {
		a := &list[i]
		if err := UnmarshalAll(r.FullBytes, a); err != nil {
			return nil, nil, fmt.Errorf("%w: %s attribute: %v", ErrMalformed, what, err)
		}
		if _, err := checkFields(r.FullBytes, 2, what+" attribute"); err != nil {
			return nil, nil, err
		}
		if len(a.Values) == 0 {
			return nil, nil, fmt.Errorf("%w: %s attribute %v has no value", ErrMalformed, what, a.Type)
		}
	}
	return set, list, nil
}

// checkFields requires the SEQUENCE encoded in full to hold exactly n
// elements, and returns them.
func checkFields(full []byte, n int, what string) ([]asn1.RawValue, error) {
	var seq asn1.RawValue
	if err := UnmarshalAll(full, &seq); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, what, err)
	}
	var fields []asn1.RawValue
	for b := seq.Bytes; len(b) > 0; {
		var f asn1.RawValue
		rest, err := asn1.Unmarshal(b, &f)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, what, err)
		}
		fields, b = append(fields, f), rest
	}
	if len(fields) != n {
		return nil, fmt.Errorf("%w: %s has %d fields, want %d", ErrMalformed, what, len(fields), n)
	}
	return fields, nil
}

// present counts an OPTIONAL field: 1 if it was there.
func present(v asn1.RawValue) int {
	if len(v.FullBytes) != 0 {
		return 1
	}
	return 0
}

// SignerCert returns the certificate the signer identifier names, or nil.
func (p *Parsed) SignerCert() *x509.Certificate {
	for _, c := range p.Certificates {
		if p.Signer.matches(c) {
			return c
		}
	}
	return nil
}

func (s *SignerInfo) matches(c *x509.Certificate) bool {
	return s.Serial != nil && c.SerialNumber != nil && c.SerialNumber.Cmp(s.Serial) == 0 &&
		bytes.Equal(c.RawIssuer, s.IssuerRaw)
}

// UnsignedValues returns every value of the unsigned attributes of type
// oid (CAdES allows a type, such as a signature time-stamp, more than
// once), or nil.
func (p *Parsed) UnsignedValues(oid asn1.ObjectIdentifier) []asn1.RawValue {
	var out []asn1.RawValue
	for _, a := range p.Signer.Unsigned {
		if a.Type.Equal(oid) {
			out = append(out, a.Values...)
		}
	}
	return out
}

// SignedValue returns the value of the signed attribute of type oid. It
// reports false when the attribute is absent or has more than one value:
// every signed attribute this package reads is single-valued.
func (p *Parsed) SignedValue(oid asn1.ObjectIdentifier) (asn1.RawValue, bool) {
	for _, a := range p.Signer.Signed {
		if a.Type.Equal(oid) {
			if len(a.Values) != 1 {
				return asn1.RawValue{}, false
			}
			return a.Values[0], true
		}
	}
	return asn1.RawValue{}, false
}
