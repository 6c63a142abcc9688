// Package strictjson decodes JSON that is signed or verified, where two
// readers must never see different values. encoding/json lets the last of
// two equal keys win silently; another parser may keep the first, so a
// signed {"office":"A","office":"B"} would mean different things to the
// office system and to the kiosk. Unmarshal refuses duplicate object keys
// at any depth, and data after the value.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxDepth is encoding/json's own nesting limit, so Check refuses nothing
// on depth that Unmarshal would accept.
const maxDepth = 10000

// maxKeyShown bounds a key quoted in a message: keys are attacker-chosen
// and a 16 KiB one would make a 16 KiB line.
const maxKeyShown = 64

// DuplicateKeyError names the key found twice in one object. It names the
// key only, never a value: values may be personal data.
type DuplicateKeyError struct {
	Key string // the second occurrence, as written
}

func (e *DuplicateKeyError) Error() string {
	k := e.Key
	if len(k) > maxKeyShown {
		k = strings.ToValidUTF8(k[:maxKeyShown], "") + "…"
	}
	return fmt.Sprintf("duplicate key %q", k)
}

// Unmarshal is json.Unmarshal that first refuses duplicate keys (see Check).
// v is untouched when it fails on a duplicate or a syntax error.
func Unmarshal(data []byte, v any) error {
	if err := Check(data); err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// Check reports a *DuplicateKeyError for the first object holding a key
// twice, a syntax error for malformed JSON, and an error for anything after
// the one top-level value. Keys are compared the way encoding/json matches
// struct fields, ignoring case, because "office" and "Office" fill the same
// field; escapes and invalid UTF-8 are decoded first, as Unmarshal sees them.
func Check(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // numbers are only skipped: no float parsing, no range errors
	// One frame per open object or array; seen is nil for arrays.
	type frame struct {
		seen     map[string]bool
		wantsKey bool
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].seen != nil && stack[top].wantsKey {
			if key, ok := tok.(string); ok {
				folded := fold(key)
				if stack[top].seen[folded] {
					return &DuplicateKeyError{Key: key}
				}
				stack[top].seen[folded] = true
				stack[top].wantsKey = false
				continue
			}
			// Otherwise it is the object's closing '}', handled below.
		}
		if top >= 0 && stack[top].seen != nil {
			stack[top].wantsKey = true // after this value comes a key or '}'
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) == maxDepth {
				return fmt.Errorf("JSON nested deeper than %d", maxDepth)
			}
			f := frame{}
			if tok == json.Delim('{') {
				f = frame{seen: map[string]bool{}, wantsKey: true}
			}
			stack = append(stack, f)
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
		}
		if len(stack) == 0 {
			return checkEnd(dec)
		}
	}
}

// checkEnd refuses a second value or junk after the first.
func checkEnd(dec *json.Decoder) error {
	_, err := dec.Token()
	switch {
	case err == io.EOF:
		return nil
	case err != nil:
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return fmt.Errorf("data after the JSON value: %w", err)
		}
		return err
	default:
		return errors.New("data after the JSON value")
	}
}

// fold maps a key so that fold(a) == fold(b) exactly when encoding/json
// would match them to the same field (bytes.EqualFold): each rune becomes
// the smallest of its case-fold orbit, as in encoding/json's foldName.
func fold(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}
