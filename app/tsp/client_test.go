package tsp

import (
	"context"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/cms"
)

var testData = []byte("the signature value a time stamp is taken over")

func TestStampVerify(t *testing.T) {
	p := newTestPKI(t, time.Date(2026, 12, 1, 9, 30, 15, 0, time.UTC))
	a := p.authority(p.now.Add(500 * time.Millisecond))
	a.Serial = func() *big.Int { return big.NewInt(0x1234567890) }
	srv := serve(t, a)
	c := &Client{URL: srv.URL, HTTP: srv.Client(), Policy: testPolicy}
	tok, err := c.Stamp(context.Background(), testData)
	if err != nil {
		t.Fatalf("Stamp: %v", err)
	}
	sum := sha256.Sum256(testData)
	switch {
	case !tok.GenTime.Equal(p.now):
		t.Errorf("genTime %v, want %v", tok.GenTime, p.now)
	case !tok.Policy.Equal(testPolicy), tok.Serial.Int64() != 0x1234567890, tok.Nonce == nil || tok.Nonce.BitLen() != 64:
		t.Errorf("policy %v serial %v nonce %v", tok.Policy, tok.Serial, tok.Nonce)
	case !tok.HashAlgorithm.Equal(oidSHA256), string(tok.Imprint) != string(sum[:]):
		t.Errorf("imprint %v %x", tok.HashAlgorithm, tok.Imprint)
	case tok.Accuracy != 1500*time.Millisecond, tok.Ordering:
		t.Errorf("accuracy %v ordering %v", tok.Accuracy, tok.Ordering)
	case tok.TSAName != p.tsa.Subject.String():
		t.Errorf("TSA name %q, want %q", tok.TSAName, p.tsa.Subject.String())
	case tok.Signer == nil || !tok.Signer.Equal(p.tsa), len(tok.Certificates) != 2:
		t.Errorf("signer %v, %d certificates", tok.Signer, len(tok.Certificates))
	}
	if err := tok.Verify(testData, VerifyOptions{Roots: p.roots}); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if err := tok.Verify([]byte("other data"), VerifyOptions{Roots: p.roots}); !errors.Is(err, ErrImprint) {
		t.Errorf("other data: %v", err)
	}
	// The token is the value of the signature time-stamp attribute: it
	// parses again from its Raw.
	again, err := ParseToken(tok.Raw)
	if err != nil || again.Verify(testData, VerifyOptions{Roots: p.roots}) != nil {
		t.Errorf("token from Raw: %v", err)
	}
	// Two stamps: distinct nonces and (random) serials.
	a.Serial = nil
	t1, err1 := c.Stamp(context.Background(), testData)
	t2, err2 := c.Stamp(context.Background(), testData)
	if err1 != nil || err2 != nil || t1.Nonce.Cmp(t2.Nonce) == 0 || t1.Serial.Cmp(t2.Serial) == 0 || t1.Serial.Sign() <= 0 {
		t.Errorf("two stamps: %v %v", err1, err2)
	}
}

// reply serves a fixed answer.
func reply(status int, contentType string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

// lying rewrites each request with edit before the authority answers it.
func lying(t *testing.T, a *Authority, edit func(*timeStampReq)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req timeStampReq
		if err := cms.UnmarshalAll(body, &req); err != nil {
			t.Errorf("client sent: %v", err)
		}
		edit(&req)
		der, err := asn1.Marshal(req)
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", contentTypeReply)
		_, _ = w.Write(a.Respond(der))
	}
}

func statusReply(t *testing.T, status int, bit int) []byte {
	t.Helper()
	si := pkiStatusInfo{Status: status}
	if bit >= 0 {
		si.FailInfo = failInfo(bit)
	}
	b, err := asn1.Marshal(timeStampResp{Status: si})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestStampErrors(t *testing.T) {
	p := newTestPKI(t, time.Now())
	a := p.authority(p.now)
	down := *a
	down.Down = func(imprint []byte) bool { return len(imprint) == sha256.Size }
	closed := serve(t, a)
	closed.Close()

	for _, tc := range []struct {
		name    string
		handler http.Handler
		url     string
		policy  asn1.ObjectIdentifier
		want    error
		text    string
	}{
		{"TSA down (503)", &down, "", nil, ErrUnavailable, "HTTP 503"},
		{"too many requests", reply(http.StatusTooManyRequests, "text/plain", nil), "", nil, ErrUnavailable, "429"},
		{"connection refused", nil, closed.URL, nil, ErrUnavailable, ""},
		{"HTTP 400", reply(http.StatusBadRequest, "text/plain", nil), "", nil, ErrRejected, "400"},
		{"garbage reply", reply(http.StatusOK, contentTypeReply, []byte("garbage")), "", nil, ErrRejected, "reply"},
		{"wrong content type", reply(http.StatusOK, "text/html", a.Respond(nil)), "", nil, ErrRejected, "content type"},
		{"waiting", reply(http.StatusOK, contentTypeReply, statusReply(t, statusWaiting, -1)), "", nil, ErrUnavailable, "status 3"},
		{"system failure", reply(http.StatusOK, contentTypeReply, statusReply(t, statusRejection, failSystemFailure)), "", nil, ErrUnavailable, "systemFailure"},
		{"time not available", reply(http.StatusOK, contentTypeReply, statusReply(t, statusRejection, failTimeNotAvailable)), "", nil, ErrUnavailable, "timeNotAvailable"},
		{"granted without token", reply(http.StatusOK, contentTypeReply, statusReply(t, statusGranted, -1)), "", nil, ErrRejected, "without a token"},
		{"policy not offered", a, "", asn1.ObjectIdentifier{1, 2, 398, 3, 3, 2, 9}, ErrRejected, "unacceptedPolicy"},
		{"nonce not echoed", lying(t, a, func(r *timeStampReq) { r.Nonce = new(big.Int).Add(r.Nonce, big.NewInt(1)) }), "", nil, ErrRejected, "nonce"},
		{"nonce dropped", lying(t, a, func(r *timeStampReq) { r.Nonce = nil }), "", nil, ErrRejected, "nonce"},
		{"other imprint", lying(t, a, func(r *timeStampReq) { r.MessageImprint.HashedMessage[0] ^= 1 }), "", nil, ErrRejected, "other data"},
		{"no certificate", lying(t, a, func(r *timeStampReq) { r.CertReq = false }), "", nil, ErrRejected, "no TSA certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := tc.url
			if tc.handler != nil {
				url = serve(t, tc.handler).URL
			}
			c := &Client{URL: url, Policy: tc.policy}
			tok, err := c.Stamp(context.Background(), testData)
			if !errors.Is(err, tc.want) || tok != nil {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not say %q", err, tc.text)
			}
		})
	}
}

func TestStampContext(t *testing.T) {
	block := make(chan struct{})
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer close(block)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := (&Client{URL: srv.URL}).Stamp(ctx, testData)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
