package headoffice

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ContentDigest is the Content-Digest header value for body.
func ContentDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
}

var errNoSHA256 = errors.New("the Content-Digest header has no sha-256 member")

// parseContentDigest finds the sha-256 member of RFC 9530 Content-Digest
// header lines. The field is an RFC 8941 structured dictionary, parsed
// strictly: the lines are joined with commas, anything that is not a
// dictionary refuses the whole field (RFC 8941 §4.2), other algorithms and
// any parameters are ignored, and of repeated keys the last counts. The
// sha-256 member must be a byte sequence of 32 bytes.
func parseContentDigest(values []string) ([]byte, error) {
	var lines []string
	for _, v := range values {
		// Empty lines add no members (RFC 9110 §5.3).
		if v = strings.Trim(v, " \t"); v != "" {
			lines = append(lines, v)
		}
	}
	if len(lines) == 0 {
		return nil, errors.New("a Content-Digest header with sha-256 is required")
	}
	p := &sfParser{s: strings.Join(lines, ", ")}
	val, found, err := p.dictionaryMember("sha-256")
	switch {
	case err != nil:
		return nil, fmt.Errorf("the Content-Digest header is not a structured-field dictionary: %w", err)
	case !found:
		return nil, errNoSHA256
	case val.kind != sfBytes:
		return nil, errors.New("the Content-Digest sha-256 value must be base64 between colons")
	case len(val.bytes) != sha256.Size:
		return nil, errors.New("the Content-Digest sha-256 value is not 32 bytes of base64")
	}
	return val.bytes, nil
}

// sfParser parses RFC 8941 structured fields, keeping only what
// parseContentDigest needs: the kind of each value and a byte sequence's
// bytes.
type sfParser struct {
	s string
	i int
}

type sfKind int

const (
	sfOther sfKind = iota // integer, decimal, string, token, boolean
	sfBytes
	sfInnerList
)

type sfValue struct {
	kind  sfKind
	bytes []byte
}

// errAt is a parse error naming where in the field it is.
func (p *sfParser) errAt(what string) error {
	return fmt.Errorf("%s at byte %d", what, p.i)
}

func (p *sfParser) done() bool { return p.i >= len(p.s) }

func (p *sfParser) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

func (p *sfParser) skipSP() {
	for !p.done() && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *sfParser) skipOWS() {
	for !p.done() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// dictionaryMember parses the whole field as a dictionary (§4.2.2) and
// returns the last value of key.
func (p *sfParser) dictionaryMember(want string) (val sfValue, found bool, err error) {
	p.skipSP()
	for !p.done() {
		key, err := p.key()
		if err != nil {
			return sfValue{}, false, err
		}
		var v sfValue
		if p.peek() == '=' {
			p.i++
			if v, err = p.itemOrInnerList(); err != nil {
				return sfValue{}, false, err
			}
		} else if err := p.parameters(); err != nil { // a bare key is true
			return sfValue{}, false, err
		}
		if key == want {
			val, found = v, true
		}
		p.skipOWS()
		if p.done() {
			break
		}
		if p.s[p.i] != ',' {
			return sfValue{}, false, p.errAt("expected a comma")
		}
		p.i++
		p.skipOWS()
		if p.done() {
			return sfValue{}, false, p.errAt("trailing comma")
		}
	}
	return val, found, nil
}

func isLCAlpha(c byte) bool { return c >= 'a' && c <= 'z' }
func isAlpha(c byte) bool   { return isLCAlpha(c) || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool   { return c >= '0' && c <= '9' }

// key parses a dictionary or parameter key (§4.2.3.3).
func (p *sfParser) key() (string, error) {
	start := p.i
	if c := p.peek(); !isLCAlpha(c) && c != '*' {
		return "", p.errAt("a key must start with a lowercase letter or *")
	}
	for !p.done() {
		c := p.s[p.i]
		if !isLCAlpha(c) && !isDigit(c) && !strings.ContainsRune("_-.*", rune(c)) {
			break
		}
		p.i++
	}
	return p.s[start:p.i], nil
}

func (p *sfParser) itemOrInnerList() (sfValue, error) {
	if p.peek() == '(' {
		return sfValue{kind: sfInnerList}, p.innerList()
	}
	return p.item()
}

// innerList parses "(" *SP [ item *( 1*SP item ) *SP ] ")" parameters.
func (p *sfParser) innerList() error {
	p.i++ // '('
	for !p.done() {
		p.skipSP()
		if p.peek() == ')' {
			p.i++
			return p.parameters()
		}
		if _, err := p.item(); err != nil {
			return err
		}
		if c := p.peek(); c != ' ' && c != ')' {
			return p.errAt("expected a space or ) in an inner list")
		}
	}
	return p.errAt("unterminated inner list")
}

func (p *sfParser) item() (sfValue, error) {
	v, err := p.bareItem()
	if err != nil {
		return sfValue{}, err
	}
	return v, p.parameters()
}

// parameters parses *( ";" *SP key [ "=" bare-item ] ), values unused.
func (p *sfParser) parameters() error {
	for p.peek() == ';' {
		p.i++
		p.skipSP()
		if _, err := p.key(); err != nil {
			return err
		}
		if p.peek() == '=' {
			p.i++
			if _, err := p.bareItem(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *sfParser) bareItem() (sfValue, error) {
	switch c := p.peek(); {
	case c == '-' || isDigit(c):
		return sfValue{}, p.number()
	case c == '"':
		return sfValue{}, p.str()
	case c == ':':
		b, err := p.byteSequence()
		return sfValue{kind: sfBytes, bytes: b}, err
	case c == '?':
		if p.i+1 >= len(p.s) || (p.s[p.i+1] != '0' && p.s[p.i+1] != '1') {
			return sfValue{}, p.errAt("a boolean must be ?0 or ?1")
		}
		p.i += 2
		return sfValue{}, nil
	case isAlpha(c) || c == '*':
		p.token()
		return sfValue{}, nil
	default:
		return sfValue{}, p.errAt("expected an item")
	}
}

// number parses an integer (at most 15 digits) or a decimal (at most 12
// digits, a point and 1 to 3 more), §4.2.4.
func (p *sfParser) number() error {
	if p.peek() == '-' {
		p.i++
	}
	if !isDigit(p.peek()) {
		return p.errAt("expected a digit")
	}
	intDigits, fracDigits, decimal := 0, 0, false
digits:
	for ; !p.done(); p.i++ {
		switch c := p.s[p.i]; {
		case isDigit(c) && decimal:
			fracDigits++
		case isDigit(c):
			if intDigits++; intDigits > 15 {
				return p.errAt("integer too long")
			}
		case c == '.' && !decimal:
			if intDigits > 12 {
				return p.errAt("decimal too long")
			}
			decimal = true
		default:
			break digits
		}
	}
	if decimal && (fracDigits == 0 || fracDigits > 3) {
		return p.errAt("a decimal needs 1 to 3 digits after the point")
	}
	return nil
}

// str parses a quoted string of printable ASCII with \" and \\ escapes.
func (p *sfParser) str() error {
	p.i++ // '"'
	for !p.done() {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '\\':
			if p.done() || (p.s[p.i] != '"' && p.s[p.i] != '\\') {
				return p.errAt("bad escape in a string")
			}
			p.i++
		case c == '"':
			return nil
		case c < 0x20 || c > 0x7e:
			return p.errAt("a string holds a character outside printable ASCII")
		}
	}
	return p.errAt("unterminated string")
}

// token parses ( ALPHA / "*" ) *( tchar / ":" / "/" ); the first byte is
// already checked.
func (p *sfParser) token() {
	p.i++
	for !p.done() {
		c := p.s[p.i]
		if !isAlpha(c) && !isDigit(c) && !strings.ContainsRune("!#$%&'*+-.^_`|~:/", rune(c)) {
			return
		}
		p.i++
	}
}

// byteSequence parses ":" base64 ":"; padding may be left out (§4.2.7).
func (p *sfParser) byteSequence() ([]byte, error) {
	p.i++ // ':'
	end := strings.IndexByte(p.s[p.i:], ':')
	if end < 0 {
		return nil, p.errAt("unterminated byte sequence")
	}
	b64 := p.s[p.i : p.i+end]
	for i := 0; i < len(b64); i++ {
		if c := b64[i]; !isAlpha(c) && !isDigit(c) && c != '+' && c != '/' && c != '=' {
			return nil, p.errAt("a byte sequence holds a character outside base64")
		}
	}
	enc := base64.StdEncoding
	if !strings.Contains(b64, "=") && len(b64)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	b, err := enc.DecodeString(b64)
	if err != nil {
		return nil, p.errAt("a byte sequence is not valid base64")
	}
	p.i += end + 1
	return b, nil
}
