package card

import (
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Why not pkix.Name.String: it prints the attributes the national CA puts
// in every name (SURNAME, GIVENNAME, E) as OID=#hex, unreadable on a card.

// attrNames are the short names used for attribute types (RFC 4514 §3 and
// the ones the national CA's names carry).
var attrNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SURNAME",
	"2.5.4.5":                    "SERIALNUMBER",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "STREET",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "TITLE",
	"2.5.4.42":                   "GIVENNAME",
	"1.2.840.113549.1.9.1":       "emailAddress",
	"0.9.2342.19200300.100.1.1":  "UID",
	"0.9.2342.19200300.100.1.25": "DC",
}

// attr is one AttributeTypeAndValue with its value kept raw, so any string
// type (or none) can be shown.
type attr struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rdnSET is one RelativeDistinguishedName; encoding/asn1 reads a slice
// type whose name ends in SET as a SET OF.
type rdnSET []attr

// maxNameBytes bounds what rfc4514 parses; certificate names are far smaller.
const maxNameBytes = 64 << 10

// rfc4514 formats a DER Name (a certificate's RawSubject or RawIssuer) as
// RFC 4514 text: last RDN first, multi-valued RDNs joined by "+". A name
// that does not parse is shown as "#" and its hex, as RFC 4514 does for
// values it cannot write as strings.
func rfc4514(der []byte) string {
	var rdns []rdnSET
	if len(der) > maxNameBytes {
		return "#" + hex.EncodeToString(der[:64]) + "…"
	}
	rest, err := asn1.Unmarshal(der, &rdns)
	if err != nil || len(rest) != 0 {
		return "#" + hex.EncodeToString(der)
	}
	parts := make([]string, 0, len(rdns))
	for i := len(rdns) - 1; i >= 0; i-- {
		vals := make([]string, 0, len(rdns[i]))
		for _, a := range rdns[i] {
			vals = append(vals, attrType(a.Type)+"="+attrValue(a.Value))
		}
		parts = append(parts, strings.Join(vals, "+"))
	}
	return strings.Join(parts, ",")
}

func attrType(oid asn1.ObjectIdentifier) string {
	s := oid.String()
	if n, ok := attrNames[s]; ok {
		return n
	}
	return s
}

// attrValue writes a value as an escaped string when it is one of the
// directory string types, else as "#" and the hex of its DER (RFC 4514 §2.4).
func attrValue(v asn1.RawValue) string {
	if v.Class == asn1.ClassUniversal && !v.IsCompound {
		if s, ok := decodeString(v.Tag, v.Bytes); ok {
			return escapeValue(s)
		}
	}
	return "#" + hex.EncodeToString(v.FullBytes)
}

// decodeString decodes the ASN.1 string types names use.
func decodeString(tag int, b []byte) (string, bool) {
	switch tag {
	case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagIA5String, asn1.TagNumericString, 26 /* VisibleString */ :
		if !utf8.Valid(b) {
			return "", false
		}
		return string(b), true
	case asn1.TagT61String:
		// Treated as Latin-1, as most readers do.
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), true
	case asn1.TagBMPString:
		if len(b)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(b[2*i:])
		}
		return string(utf16.Decode(u)), true
	case 28: // UniversalString, UTF-32BE
		if len(b)%4 != 0 {
			return "", false
		}
		r := make([]rune, len(b)/4)
		for i := range r {
			r[i] = rune(binary.BigEndian.Uint32(b[4*i:]))
			if !utf8.ValidRune(r[i]) {
				return "", false
			}
		}
		return string(r), true
	}
	return "", false
}

// escapeValue applies RFC 4514 §2.4: the special characters get a
// backslash, a leading "#" or space and a trailing space too; control
// characters are written as \XX so the text stays printable.
func escapeValue(s string) string {
	var b strings.Builder
	last := len(s) - 1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "\\%02X", s[i])
		case strings.ContainsRune(`"+,;<>\`, r),
			i == 0 && (r == ' ' || r == '#'),
			i == last && r == ' ':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029:
			for _, c := range []byte(s[i : i+size]) {
				fmt.Fprintf(&b, "\\%02X", c)
			}
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// nameAttr returns the first value of attribute oid in a DER Name, or "".
func nameAttr(der []byte, oid string) string {
	var rdns []rdnSET
	if rest, err := asn1.Unmarshal(der, &rdns); err != nil || len(rest) != 0 {
		return ""
	}
	for _, rdn := range rdns {
		for _, a := range rdn {
			if a.Type.String() == oid && a.Value.Class == asn1.ClassUniversal && !a.Value.IsCompound {
				if s, ok := decodeString(a.Value.Tag, a.Value.Bytes); ok {
					return s
				}
			}
		}
	}
	return ""
}
