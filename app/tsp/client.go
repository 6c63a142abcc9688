package tsp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"

	"almatel.kz/signkiosk/app/cms"
)

var oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}

// Client asks a TSA over HTTP (RFC 3161 §3.4: POST
// application/timestamp-query, reply application/timestamp-reply).
type Client struct {
	URL    string
	HTTP   *http.Client          // nil: http.DefaultClient (bound the call with ctx)
	Policy asn1.ObjectIdentifier // optional reqPolicy
}

// Stamp asks for a token over SHA-256(data) with a random 64-bit nonce
// and certReq, and checks the reply: status granted, the nonce echoed, the
// imprint, the policy when one was asked for, the TSA certificate present
// and the token's signature by it (not its chain: Verify does that with
// the caller's roots). Errors wrap ErrUnavailable (transport error, HTTP
// 5xx/429, status waiting, failInfo systemFailure/timeNotAvailable: retry
// later) or ErrRejected (other statuses, 4xx, a bad reply).
func (c *Client) Stamp(ctx context.Context, data []byte) (*Token, error) {
	sum := sha256.Sum256(data)
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, fmt.Errorf("time stamp: nonce: %w", err)
	}
	nonce.SetBit(nonce, 63, 1) // always 8 bytes, never zero
	reqDER, err := asn1.Marshal(timeStampReq{
		Version: 1,
		// SHA-2 parameters absent (RFC 5754 §2).
		MessageImprint: messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oidSHA256}, HashedMessage: sum[:]},
		ReqPolicy:      c.Policy,
		Nonce:          nonce,
		CertReq:        true,
	})
	if err != nil {
		return nil, fmt.Errorf("time stamp: request: %w", err)
	}
	body, err := c.post(ctx, reqDER)
	if err != nil {
		return nil, err
	}
	tok, err := checkReply(body)
	if err != nil {
		return nil, err
	}
	switch {
	case tok.Nonce == nil || tok.Nonce.Cmp(nonce) != 0:
		return nil, fmt.Errorf("time stamp: %w: nonce not echoed", ErrRejected)
	case !tok.HashAlgorithm.Equal(oidSHA256) || !bytes.Equal(tok.Imprint, sum[:]):
		return nil, fmt.Errorf("time stamp: %w: the token is over other data", ErrRejected)
	case c.Policy != nil && !tok.Policy.Equal(c.Policy):
		return nil, fmt.Errorf("time stamp: %w: policy %v, asked for %v", ErrRejected, tok.Policy, c.Policy)
	case tok.Signer == nil:
		return nil, fmt.Errorf("time stamp: %w: no TSA certificate although asked for", ErrRejected)
	}
	if _, err := tok.parsed.VerifySignerInfo(nil); err != nil {
		return nil, fmt.Errorf("time stamp: %w: %w", ErrRejected, err)
	}
	return tok, nil
}

// post sends the request and returns the reply body.
func (c *Client) post(ctx context.Context, reqDER []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(reqDER))
	if err != nil {
		return nil, fmt.Errorf("time stamp: %w: %w", ErrRejected, err)
	}
	req.Header.Set("Content-Type", contentTypeQuery)
	req.Header.Set("Accept", contentTypeReply)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("time stamp: %w: %w", ErrUnavailable, err)
	}
	defer func() { _ = resp.Body.Close() }()
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, fmt.Errorf("time stamp: %w: HTTP %d", ErrUnavailable, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("time stamp: %w: HTTP %d", ErrRejected, resp.StatusCode)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != contentTypeReply {
		return nil, fmt.Errorf("time stamp: %w: reply content type %q", ErrRejected, resp.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMessage+1))
	if err != nil {
		return nil, fmt.Errorf("time stamp: %w: reading the reply: %w", ErrUnavailable, err)
	}
	if len(body) > maxMessage {
		return nil, fmt.Errorf("time stamp: %w: reply over %d bytes", ErrRejected, maxMessage)
	}
	return body, nil
}

// checkReply reads a TimeStampResp and returns its token when granted.
func checkReply(body []byte) (*Token, error) {
	var resp timeStampResp
	if err := cms.UnmarshalAll(body, &resp); err != nil {
		return nil, fmt.Errorf("time stamp: %w: reply: %v", ErrRejected, err)
	}
	st := resp.Status
	switch {
	case st.Status == statusGranted || st.Status == statusGrantedWithMods:
	case st.Status == statusWaiting,
		st.Status == statusRejection && (st.FailInfo.At(failSystemFailure) == 1 || st.FailInfo.At(failTimeNotAvailable) == 1):
		return nil, fmt.Errorf("time stamp: %w: %s", ErrUnavailable, describe(st))
	default:
		return nil, fmt.Errorf("time stamp: %w: %s", ErrRejected, describe(st))
	}
	if len(resp.TimeStampToken.FullBytes) == 0 {
		return nil, fmt.Errorf("time stamp: %w: granted without a token", ErrRejected)
	}
	tok, err := ParseToken(resp.TimeStampToken.FullBytes)
	if err != nil {
		return nil, fmt.Errorf("time stamp: %w: %w", ErrRejected, err)
	}
	return tok, nil
}
