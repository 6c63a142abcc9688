package cms

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
)

// ErrAttributePresent: AddUnsigned refuses to add a second attribute of a
// type the signer already has (a re-run must not stack time stamps).
var ErrAttributePresent = errors.New("unsigned attribute already present")

// AddUnsigned returns der with attrs appended to the signer's unsigned
// attributes (refusing a type already present) and certs appended to
// SignedData.certificates (skipping ones already there). Every other byte
// is kept: the signed attributes and the signature stay exactly as they
// were, so the signature still verifies.
func AddUnsigned(der []byte, attrs []Attribute, certs []*x509.Certificate) ([]byte, error) {
	p, err := Parse(der)
	if err != nil {
		return nil, fmt.Errorf("add unsigned: %w", err)
	}
	present := map[string]bool{}
	for _, a := range p.Signer.Unsigned {
		present[a.Type.String()] = true
	}
	var added [][]byte
	for _, a := range attrs {
		k := a.Type.String()
		if present[k] {
			return nil, fmt.Errorf("add unsigned: %w: %s", ErrAttributePresent, k)
		}
		present[k] = true
		if len(a.Values) == 0 {
			return nil, fmt.Errorf("add unsigned: attribute %s has no value", k)
		}
		b, err := asn1.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("add unsigned: attribute %s: %w", k, err)
		}
		added = append(added, b)
	}

	// Rebuild from the input's own element encodings, replacing only the
	// certificates and the unsigned attributes.
	outer, err := elements(der, 1, "content info")
	if err != nil {
		return nil, err
	}
	ci, err := elements(outer[0].Bytes, 2, "content info")
	if err != nil {
		return nil, err
	}
	sdEl, err := elements(ci[1].Bytes, 1, "signed data")
	if err != nil {
		return nil, err
	}
	fields, err := elements(sdEl[0].Bytes, 0, "signed data")
	if err != nil {
		return nil, err
	}
	if len(fields) < 4 {
		return nil, fmt.Errorf("add unsigned: %w: signed data has %d fields", ErrMalformed, len(fields))
	}
	last := len(fields) - 1
	sis, err := elements(fields[last].Bytes, 1, "signer infos")
	if err != nil {
		return nil, err
	}
	si, err := elements(sis[0].Bytes, 0, "signer info")
	if err != nil {
		return nil, err
	}
	if n := len(si); n > 0 && isContext(si[n-1], 1) {
		existing, err := elements(si[n-1].Bytes, 0, "unsigned attributes")
		if err != nil {
			return nil, err
		}
		for _, e := range existing {
			added = append(added, e.FullBytes)
		}
		si = si[:n-1]
	}
	slices.SortFunc(added, bytes.Compare) // DER SET OF order

	var newCerts []byte
	seen := slices.Clone(p.Certificates)
	for _, c := range certs {
		if !slices.ContainsFunc(seen, c.Equal) {
			seen = append(seen, c)
			newCerts = append(newCerts, c.Raw...)
		}
	}

	var siParts [][]byte
	for _, e := range si {
		siParts = append(siParts, e.FullBytes)
	}
	if len(added) != 0 {
		siParts = append(siParts, constructed(asn1.ClassContextSpecific, 1, added...))
	}
	signer := constructed(asn1.ClassUniversal, asn1.TagSequence, siParts...)

	// version, digestAlgorithms, encapContentInfo, [0] certificates?, [1] crls?, signerInfos
	var sdParts [][]byte
	for _, f := range fields[:3] {
		sdParts = append(sdParts, f.FullBytes)
	}
	rest := fields[3:last]
	switch {
	case len(rest) > 0 && isContext(rest[0], 0) && newCerts != nil:
		sdParts = append(sdParts, constructed(asn1.ClassContextSpecific, 0, rest[0].Bytes, newCerts))
		rest = rest[1:]
	case newCerts != nil:
		sdParts = append(sdParts, constructed(asn1.ClassContextSpecific, 0, newCerts))
	}
	for _, f := range rest {
		sdParts = append(sdParts, f.FullBytes)
	}
	sdParts = append(sdParts, constructed(asn1.ClassUniversal, asn1.TagSet, signer))
	sd := constructed(asn1.ClassUniversal, asn1.TagSequence, sdParts...)
	out := constructed(asn1.ClassUniversal, asn1.TagSequence, ci[0].FullBytes,
		constructed(asn1.ClassContextSpecific, 0, sd))
	if len(out) > maxCMSBytes {
		return nil, fmt.Errorf("add unsigned: the result has %d bytes, over the %d limit", len(out), maxCMSBytes)
	}
	if _, err := Parse(out); err != nil {
		return nil, fmt.Errorf("add unsigned: the result does not parse: %w", err)
	}
	return out, nil
}

// elements splits b into its DER elements; want > 0 requires that many.
func elements(b []byte, want int, what string) ([]asn1.RawValue, error) {
	var out []asn1.RawValue
	for len(b) > 0 {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(b, &v)
		if err != nil {
			return nil, fmt.Errorf("add unsigned: %w: %s: %v", ErrMalformed, what, err)
		}
		out = append(out, v)
		b = rest
	}
	if want > 0 && len(out) != want {
		return nil, fmt.Errorf("add unsigned: %w: %s has %d elements, want %d", ErrMalformed, what, len(out), want)
	}
	return out, nil
}

func isContext(v asn1.RawValue, tag int) bool {
	return v.Class == asn1.ClassContextSpecific && v.Tag == tag && v.IsCompound
}

// constructed encodes a constructed element (tag < 31) holding parts.
func constructed(class, tag int, parts ...[]byte) []byte {
	body := bytes.Join(parts, nil)
	out := []byte{byte(class<<6) | 0x20 | byte(tag)}
	n := len(body)
	if n < 0x80 {
		out = append(out, byte(n))
	} else {
		var l []byte
		for ; n > 0; n >>= 8 {
			l = append([]byte{byte(n)}, l...)
		}
		out = append(append(out, 0x80|byte(len(l))), l...)
	}
	return append(out, body...)
}
