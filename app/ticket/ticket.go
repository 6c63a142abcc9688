package ticket

import (
	"bytes"
	"compress/zlib"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"almatel.kz/signkiosk/app/strictjson"
)

// Prefix starts every ticket's text and is the domain separator of its
// signature, so a signature over some other JSON cannot pass for a ticket.
const Prefix = "AKT1:"

// Limits on untrusted input: the text as scanned and the inflated bytes
// (signature and JSON). A real order is well under 1 KiB of text; the
// inflate limit stops a zlib bomb before it costs memory.
const (
	MaxTextLen      = 4096
	MaxInflatedSize = 16 << 10
)

// Encode signs p with the head-office ticket key and returns its text form:
// Prefix + base45(zlib(sig ‖ json)), sig = Ed25519(Prefix ‖ json).
// It refuses payloads a kiosk would refuse, so a broken ticket is never minted.
func Encode(p Payload, priv ed25519.PrivateKey) (string, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return "", errors.New("encode ticket: private key is not an Ed25519 key")
	}
	if err := p.Validate(); err != nil {
		return "", fmt.Errorf("encode ticket: %w", err)
	}
	body, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("encode ticket: %w", err)
	}
	if ed25519.SignatureSize+len(body) > MaxInflatedSize {
		return "", fmt.Errorf("encode ticket: %w: payload is %d bytes", ErrTooLarge, len(body))
	}
	sig := ed25519.Sign(priv, signedMessage(body))

	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		return "", fmt.Errorf("encode ticket: %w", err)
	}
	zw.Write(sig) // writes to a bytes.Buffer cannot fail; Close reports any error
	zw.Write(body)
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("encode ticket: compress: %w", err)
	}
	text := Prefix + Base45Encode(buf.Bytes())
	if len(text) > MaxTextLen {
		return "", fmt.Errorf("encode ticket: %w: text is %d characters", ErrTooLarge, len(text))
	}
	return text, nil
}

// Verifier checks tickets offline against the head office's public key for
// one office. Skew is how far ahead of this kiosk's clock a ticket's issue
// time may be (the office system's clock may run fast); expiry is strict so
// a ticket never lives longer than the office meant.
type Verifier struct {
	PublicKey ed25519.PublicKey
	Office    string
	Skew      time.Duration
}

// Verify decodes text and returns its payload if it is a genuine, complete,
// current ticket for this office. Every refusal wraps one of the Err*
// sentinels. It does not consult the ledger: record the ticket id with
// Ledger.Use before starting a session.
func (v Verifier) Verify(text string, now time.Time) (Payload, error) {
	if len(v.PublicKey) != ed25519.PublicKeySize {
		return Payload{}, errors.New("verify ticket: verifier has no Ed25519 public key")
	}
	if v.Office == "" {
		return Payload{}, errors.New("verify ticket: verifier has no office")
	}
	// Check size before anything else touches the input.
	if len(text) > MaxTextLen {
		return Payload{}, reject(ErrTooLarge, fmt.Sprintf("ticket is too large (%d characters, limit %d)", len(text), MaxTextLen))
	}
	// A scanner or a pasted line may end in a newline; the base45 alphabet
	// has a space but no line breaks, so only those are trimmed.
	text = strings.TrimRight(text, "\r\n")
	rest, ok := strings.CutPrefix(text, Prefix)
	if !ok {
		return Payload{}, ErrNotTicket
	}
	data, err := unpack(rest)
	if err != nil {
		return Payload{}, err
	}
	if len(data) <= ed25519.SignatureSize {
		return Payload{}, fmt.Errorf("%w: too short", ErrEncoding)
	}
	sig, body := data[:ed25519.SignatureSize], data[ed25519.SignatureSize:]
	if !ed25519.Verify(v.PublicKey, signedMessage(body), sig) {
		return Payload{}, ErrSignature
	}
	p, err := decodePayload(body)
	if err != nil {
		return Payload{}, err
	}
	if p.Office != v.Office {
		return Payload{}, reject(ErrOtherOffice, fmt.Sprintf("ticket is for office %s, this kiosk is %s", p.Office, v.Office))
	}
	if !now.Before(p.ExpiresAt()) {
		return Payload{}, reject(ErrExpired, "ticket expired at "+p.ExpiresAt().In(now.Location()).Format(time.RFC3339))
	}
	if p.IssuedAt().After(now.Add(max(v.Skew, 0))) {
		return Payload{}, reject(ErrNotYetValid, "ticket is not valid until "+
			p.IssuedAt().In(now.Location()).Format(time.RFC3339)+" (check the kiosk clock)")
	}
	return p, nil
}

// IssuedAt is the ticket's iat as a time.
func (p Payload) IssuedAt() time.Time { return time.Unix(p.IAT, 0) }

// ExpiresAt is the ticket's exp as a time.
func (p Payload) ExpiresAt() time.Time { return time.Unix(p.EXP, 0) }

func signedMessage(body []byte) []byte {
	return append([]byte(Prefix), body...)
}

// unpack undoes base45 and zlib, bounding the inflated size.
func unpack(b45 string) ([]byte, error) {
	raw, err := Base45Decode(b45)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEncoding, err)
	}
	br := bytes.NewReader(raw)
	zr, err := zlib.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("%w: zlib: %v", ErrEncoding, err)
	}
	defer zr.Close()
	data, err := io.ReadAll(io.LimitReader(zr, MaxInflatedSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: zlib: %v", ErrEncoding, err)
	}
	if len(data) > MaxInflatedSize {
		return nil, reject(ErrTooLarge, fmt.Sprintf("ticket is too large (inflates past %d bytes)", MaxInflatedSize))
	}
	// bytes.Reader is a flate.Reader, so zlib read exactly its stream:
	// anything left is junk appended to a ticket.
	if br.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the zlib stream", ErrEncoding, br.Len())
	}
	return data, nil
}

// decodePayload refuses a key given twice before anything else, since even
// the version would be ambiguous, then reads the version so a future layout
// is reported as ErrVersion rather than as damaged JSON. Unknown fields are
// allowed: a version may gain optional fields without breaking older kiosks.
func decodePayload(body []byte) (Payload, error) {
	if err := strictjson.Check(body); err != nil {
		var dup *strictjson.DuplicateKeyError
		if errors.As(err, &dup) {
			return Payload{}, reject(ErrDuplicateKey, "ticket payload: "+dup.Error())
		}
		return Payload{}, fmt.Errorf("%w: json: %v", ErrEncoding, err)
	}
	var head struct {
		V int `json:"v"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return Payload{}, fmt.Errorf("%w: json: %v", ErrEncoding, err)
	}
	if head.V != Version {
		return Payload{}, reject(ErrVersion, fmt.Sprintf("ticket version %d is not supported (want %d)", head.V, Version))
	}
	var p Payload
	if err := json.Unmarshal(body, &p); err != nil {
		return Payload{}, fmt.Errorf("%w: json: %v", ErrEncoding, err)
	}
	if err := p.Validate(); err != nil {
		return Payload{}, err
	}
	return p, nil
}
