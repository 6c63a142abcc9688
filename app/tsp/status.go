package tsp

import (
	"encoding/asn1"
	"fmt"
	"strings"
	"unicode/utf8"
)

// PKIStatus values (RFC 3161 §2.4.2).
const (
	statusGranted         = 0
	statusGrantedWithMods = 1
	statusRejection       = 2
	statusWaiting         = 3
)

// PKIFailureInfo bits (RFC 3161 §2.4.2).
const (
	failBadAlg              = 0
	failBadRequest          = 2
	failBadDataFormat       = 5
	failTimeNotAvailable    = 14
	failUnacceptedPolicy    = 15
	failUnacceptedExtension = 16
	failAddInfoNotAvailable = 17
	failSystemFailure       = 25
)

var failNames = map[int]string{
	failBadAlg: "badAlg", failBadRequest: "badRequest", failBadDataFormat: "badDataFormat",
	failTimeNotAvailable: "timeNotAvailable", failUnacceptedPolicy: "unacceptedPolicy",
	failUnacceptedExtension: "unacceptedExtension", failAddInfoNotAvailable: "addInfoNotAvailable",
	failSystemFailure: "systemFailure",
}

// failInfo encodes one PKIFailureInfo bit as DER wants a named bit list:
// no trailing zero bits.
func failInfo(bit int) asn1.BitString {
	b := make([]byte, bit/8+1)
	b[bit/8] = 0x80 >> (bit % 8)
	return asn1.BitString{Bytes: b, BitLength: bit + 1}
}

// failures names the bits set in fi.
func failures(fi asn1.BitString) []string {
	var out []string
	for i := 0; i < fi.BitLength && i < 64; i++ {
		if fi.At(i) == 1 {
			name, ok := failNames[i]
			if !ok {
				name = fmt.Sprintf("bit%d", i)
			}
			out = append(out, name)
		}
	}
	return out
}

// freeText joins a PKIFreeText for an error message, bounded and printable.
func freeText(ss []asn1.RawValue) string {
	var parts []string
	for _, s := range ss {
		if s.Tag == asn1.TagUTF8String && utf8.Valid(s.Bytes) {
			parts = append(parts, string(s.Bytes))
		}
	}
	t := strings.Join(parts, "; ")
	if r := []rune(t); len(r) > 200 {
		t = string(r[:200]) + "…"
	}
	return t
}

// describe says what a non-granted status means, for error messages.
func describe(si pkiStatusInfo) string {
	s := fmt.Sprintf("status %d", si.Status)
	if f := failures(si.FailInfo); len(f) > 0 {
		s += " (" + strings.Join(f, ", ") + ")"
	}
	if t := freeText(si.StatusString); t != "" {
		s += fmt.Sprintf(": %q", t)
	}
	return s
}
