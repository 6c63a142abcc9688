package headoffice

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func (f *fixture) claim(c *http.Client, tid string, body []byte) (int, ErrorBody) {
	f.t.Helper()
	resp, err := c.Post(f.api.URL+"/v1/tickets/"+tid+"/claim", "application/json", bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var eb ErrorBody
	_ = json.NewDecoder(resp.Body).Decode(&eb)
	return resp.StatusCode, eb
}

func TestTicketClaims(t *testing.T) {
	f := newFixture(t, options{})
	other := f.kioskClient(f.pki, "ALM-001-K2")
	const tid = "5b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a"
	now := time.Unix(0, f.now.Load())
	body, _ := json.Marshal(ClaimRequest{ExpiresAt: now.Add(time.Hour)})
	if code, eb := f.claim(f.client, tid, body); code != http.StatusCreated {
		t.Fatalf("first claim: %d %+v", code, eb)
	}
	if code, _ := f.claim(f.client, tid, body); code != http.StatusOK {
		t.Fatalf("same kiosk again: %d", code)
	}
	if code, eb := f.claim(other, tid, body); code != http.StatusConflict || eb.Error != CodeTicketUsed {
		t.Fatalf("another kiosk: %d %+v", code, eb)
	}
	// After the ticket's expiry the claim is gone (a ticket would be refused
	// as expired anyway; the table does not grow for ever).
	f.now.Store(now.Add(2 * time.Hour).UnixNano())
	if code, _ := f.claim(other, tid, body); code != http.StatusCreated {
		t.Fatalf("after expiry: %d", code)
	}
	for name, c := range map[string]struct {
		tid  string
		body []byte
	}{
		"not a uuid":   {"../../etc", body},
		"upper case":   {"5B7F3C2E-5A61-4D8E-9C1A-2F3E4D5C6B7A", body},
		"no body":      {tid, nil},
		"no expiry":    {tid, []byte(`{}`)},
		"unknown keys": {tid, []byte(`{"expires_at":"2026-01-01T00:00:00Z","kiosk":"K9"}`)},
	} {
		if code, _ := f.claim(f.client, c.tid, c.body); code != http.StatusBadRequest && code != http.StatusNotFound {
			t.Errorf("%s: %d", name, code)
		}
	}
	// A revoked kiosk claims nothing: a new connection fails its handshake
	// (TLSConfig), and one opened before the revocation gets 403.
	if _, err := f.db.DB().Exec(`INSERT INTO kiosks (id, enrolled_at, revoked_at) VALUES ('ALM-001-K2', ?, ?)`,
		now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano)); err != nil {
		t.Fatal(err)
	}
	fresh := "6b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a"
	revoked := f.kioskClient(f.pki, "ALM-001-K2")
	if resp, err := revoked.Post(f.api.URL+"/v1/tickets/"+fresh+"/claim", "application/json", bytes.NewReader(body)); err == nil {
		resp.Body.Close()
		t.Fatalf("revoked kiosk connected: %d", resp.StatusCode)
	}
	req := httptest.NewRequest(http.MethodPost, "/v1/tickets/"+fresh+"/claim", bytes.NewReader(body))
	req.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{{Subject: pkix.Name{CommonName: "ALM-001-K2"}}}}}
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("revoked kiosk on an open connection: %d %s", rec.Code, rec.Body)
	}
	f.assertNoPII()
}
