package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MaxResponseBytes caps what the client reads from one response: the largest
// legitimate answer is the ID document with its photo, far below this.
const MaxResponseBytes = 8 << 20

// DefaultTimeout is the per-call timeout when NewClient is given none.
const DefaultTimeout = 30 * time.Second

// Client calls the provider's API. It is safe for concurrent use. It logs
// nothing: requests carry the code, the password and frames.
type Client struct {
	baseURL string
	apiKey  string
	http    *http.Client
	timeout time.Duration
}

// NewClient returns a client for the API at baseURL (e.g.
// "https://provider.example/" or the simulator's "http://127.0.0.1:8701").
// A nil httpClient gets a fresh one with the default transport; timeout
// bounds every call (DefaultTimeout when ≤ 0).
func NewClient(baseURL, apiKey string, httpClient *http.Client, timeout time.Duration) *Client {
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Client{
		baseURL: strings.TrimRight(baseURL, "/"),
		apiKey:  apiKey,
		http:    httpClient,
		timeout: timeout,
	}
}

// CreateSession opens a provider session for the subscriber.
func (c *Client) CreateSession(ctx context.Context, req CreateSessionRequest) (CreateSessionResponse, error) {
	var out CreateSessionResponse
	err := c.call(ctx, "create session", "/v1/sessions", req, &out)
	return out, err
}

// SubmitCode sends the SMS code from 1414 and returns the ID document it opens.
func (c *Client) SubmitCode(ctx context.Context, sessionID, code string) (IDDocument, error) {
	var out IDDocument
	err := c.call(ctx, "submit code", sessionPath(sessionID, "egov-code"), CodeRequest{Code: code}, &out)
	return out, err
}

// ResendCode asks eGov to send a new SMS code.
func (c *Client) ResendCode(ctx context.Context, sessionID string) error {
	return c.call(ctx, "resend code", sessionPath(sessionID, "egov-code/resend"), nil, nil)
}

// Consent records the subscriber's consent to a legal text.
func (c *Client) Consent(ctx context.Context, sessionID string, req ConsentRequest) error {
	return c.call(ctx, "consent", sessionPath(sessionID, "consents"), req, nil)
}

// BiometricChallenge has the provider issue the liveness challenge of the
// next attempt.
func (c *Client) BiometricChallenge(ctx context.Context, sessionID string) (BiometricChallenge, error) {
	var out BiometricChallenge
	err := c.call(ctx, "biometric challenge", sessionPath(sessionID, "biometrics/challenge"), nil, &out)
	return out, err
}

// Biometrics submits one liveness/match attempt.
func (c *Client) Biometrics(ctx context.Context, sessionID string, req BiometricsRequest) (BiometricsResponse, error) {
	var out BiometricsResponse
	err := c.call(ctx, "biometrics", sessionPath(sessionID, "biometrics"), req, &out)
	return out, err
}

// Certificate has the provider issue the EDS certificate, its key protected
// by password.
func (c *Client) Certificate(ctx context.Context, sessionID, password string) (CertificateResponse, error) {
	var out CertificateResponse
	err := c.call(ctx, "certificate", sessionPath(sessionID, "certificate"), CertificateRequest{Password: password}, &out)
	return out, err
}

// Sign has the provider sign the document digest with the session's key.
func (c *Client) Sign(ctx context.Context, sessionID string, req SignRequest) (SignResponse, error) {
	var out SignResponse
	err := c.call(ctx, "sign", sessionPath(sessionID, "sign"), req, &out)
	return out, err
}

func sessionPath(sessionID, tail string) string {
	return "/v1/sessions/" + url.PathEscape(sessionID) + "/" + tail
}

// call POSTs in as JSON (no body when nil) and decodes a 2xx answer into out
// (ignored when nil). Every failure is a *Error; op names the call in
// messages, which never carry request data.
func (c *Client) call(ctx context.Context, op, path string, in, out any) error {
	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return &Error{Code: CodeInternal, Message: op + ": encode request", Err: err}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(callCtx, http.MethodPost, c.baseURL+path, body)
	if err != nil {
		return &Error{Code: CodeInternal, Message: op + ": build request", Err: err}
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.apiKey)

	resp, err := c.http.Do(req)
	if err != nil {
		return transportError(ctx, callCtx, op, err)
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return transportError(ctx, callCtx, op, err)
	}
	if len(data) > MaxResponseBytes {
		return &Error{Status: resp.StatusCode, Code: CodeInternal, Message: op + ": response too large"}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return apiError(op, resp.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &Error{Status: resp.StatusCode, Code: CodeInternal, Message: op + ": malformed response", Err: err}
	}
	return nil
}

// apiError decodes the API's error body; a body that is not one (a proxy's
// HTML page, say) is judged by its status alone.
func apiError(op string, status int, data []byte) error {
	var e Error
	if err := json.Unmarshal(data, &e); err == nil && e.Code != "" {
		e.Status = status
		return &e
	}
	code := CodeInternal
	switch status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		code = CodeUnavailable
	}
	return &Error{Status: status, Code: code, Message: fmt.Sprintf("%s: HTTP %d without an API error body", op, status)}
}

// transportError classifies a failed exchange: the caller's cancellation,
// a deadline (ours or the caller's), or the provider being unreachable.
func transportError(parent, callCtx context.Context, op string, err error) error {
	// Keep the inner cause only: url.Error's text repeats the URL.
	var ue *url.Error
	cause := err
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	switch {
	case errors.Is(parent.Err(), context.Canceled):
		return &Error{Code: CodeCanceled, Message: op + ": canceled", Err: context.Canceled}
	case callCtx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return &Error{Code: CodeTimeout, Message: op + ": no answer in time", Err: err}
	default:
		return &Error{Code: CodeUnavailable, Message: op + ": " + cause.Error(), Err: err}
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
