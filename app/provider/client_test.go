package provider_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/cms"
	"almatel.kz/signkiosk/app/logging/logtest"
	"almatel.kz/signkiosk/app/pack/packtest"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/provider/sim/simtest"
	"almatel.kz/signkiosk/sync/pki"
)

const testKey = "test-kiosk-key"

func TestHappyPath(t *testing.T) {
	var logs logtest.Buffer
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	// The kiosk is enrolled with a kiosk CA the provider trusts.
	kioskCA, err := pki.LoadOrCreate(t.TempDir(), clock)
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	dev := simtest.Device{Key: key, Cert: packtest.IssueDevice(t, kioskCA, "K1", key.Public().(ed25519.PublicKey))}
	kioskRoots := x509.NewCertPool()
	kioskRoots.AddCert(kioskCA.CA)
	s, err := sim.New(sim.Config{APIKey: testKey, Log: zerolog.New(&logs), Now: clock, KioskRoots: kioskRoots})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := provider.NewClient(srv.URL+"/", testKey, nil, 5*time.Second)
	ctx := context.Background()

	const (
		iin      = "900101300123"
		phone    = "+77011234567"
		password = "Secret#2026"
	)
	sess, err := c.CreateSession(ctx, provider.CreateSessionRequest{
		OrderID: "ORD-2026-000123", IIN: iin, Phone: phone, Lang: "kk", KioskID: "K1",
		Surname: "Сәрсенбаев", Given: "Нұрлан", Patronymic: "Қайратұлы",
	})
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	if sess.SessionID == "" || !sess.ExpiresAt.Equal(now.Add(30*time.Minute)) {
		t.Fatalf("session: %+v", sess)
	}
	code, ok := s.LastCode(sess.SessionID)
	if !ok || len(code) != 6 {
		t.Fatalf("LastCode: %q %v", code, ok)
	}
	doc, err := c.SubmitCode(ctx, sess.SessionID, code)
	if err != nil {
		t.Fatalf("SubmitCode: %v", err)
	}
	if doc.IIN != iin || doc.Surname != "Сәрсенбаев" || doc.BirthDate != "1990-01-01" || len(doc.PhotoJPEG) == 0 {
		t.Fatalf("document: %+v", doc)
	}
	textSum := sha256.Sum256([]byte("privacy policy"))
	for _, kind := range []string{provider.ConsentPrivacy} {
		if err := c.Consent(ctx, sess.SessionID, provider.ConsentRequest{Kind: kind, TextSHA256: hex.EncodeToString(textSum[:]), Lang: "kk", AcceptedAt: now}); err != nil {
			t.Fatalf("Consent %s: %v", kind, err)
		}
	}
	ch, err := c.BiometricChallenge(ctx, sess.SessionID)
	if err != nil || len(ch.Moves) == 0 || len(ch.Nonce) != 32 {
		t.Fatalf("BiometricChallenge: %+v %v", ch, err)
	}
	bio, err := c.Biometrics(ctx, sess.SessionID, dev.Submission(sess.SessionID, ch, simtest.FramesAt(t, clock, ch.Moves...)))
	if err != nil || bio.Decision != provider.DecisionPass || bio.DecisionID == "" || bio.ChallengeID != ch.ChallengeID {
		t.Fatalf("Biometrics: %+v %v", bio, err)
	}
	if err := c.Consent(ctx, sess.SessionID, provider.ConsentRequest{Kind: provider.ConsentEDSRules, TextSHA256: hex.EncodeToString(textSum[:]), Lang: "kk", AcceptedAt: now}); err != nil {
		t.Fatalf("Consent eds_rules: %v", err)
	}
	certs, err := c.Certificate(ctx, sess.SessionID, password)
	if err != nil {
		t.Fatalf("Certificate: %v", err)
	}
	document := []byte("%PDF-1.7 the application")
	digest := sha256.Sum256(document)
	sig, err := c.Sign(ctx, sess.SessionID, provider.SignRequest{DocumentSHA256: hex.EncodeToString(digest[:]), Password: password})
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if !sig.SignedAt.Equal(now) {
		t.Errorf("signed_at %v, want %v", sig.SignedAt, now)
	}

	cert := parsePEM(t, certs.Certificate)
	ca := parsePEM(t, certs.Chain)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now.Add(time.Hour),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}); err != nil {
		t.Fatalf("certificate does not chain to the demo CA: %v", err)
	}
	if !cert.NotAfter.Equal(now.AddDate(1, 0, 0)) {
		t.Errorf("not after %v", cert.NotAfter)
	}
	subj := cert.Subject
	if subj.CommonName != "СӘРСЕНБАЕВ НҰРЛАН" || subj.SerialNumber != "IIN"+iin || len(subj.Country) != 1 || subj.Country[0] != "KZ" {
		t.Errorf("subject: %v", subj)
	}
	attrs := map[string]string{}
	for _, n := range subj.Names {
		if v, ok := n.Value.(string); ok {
			attrs[n.Type.String()] = v
		}
	}
	if attrs[asn1.ObjectIdentifier{2, 5, 4, 4}.String()] != "СӘРСЕНБАЕВ" || attrs[asn1.ObjectIdentifier{2, 5, 4, 42}.String()] != "НҰРЛАН" {
		t.Errorf("SURNAME/GIVENNAME: %v", attrs)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() != 2048 {
		t.Fatalf("subscriber key: %T", cert.PublicKey)
	}
	// A detached CMS over the document, by this certificate, under the demo CA.
	signer, err := cms.Verify(sig.CMS, document, roots)
	if err != nil {
		t.Fatalf("CMS does not verify: %v", err)
	}
	if !signer.Equal(cert) {
		t.Fatal("CMS signed by another certificate")
	}

	// The log has the simulated SMS and no personal data or secrets.
	out := logs.String()
	if !strings.Contains(out, `"sms_code":"`+code+`"`) || !strings.Contains(out, "simulated SMS from 1414") {
		t.Errorf("no SMS line in the log:\n%s", out)
	}
	for _, secret := range []string{iin, phone, password, "Сәрсенбаев", "Нұрлан", "Қайратұлы", "ORD-2026-000123"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q", secret)
		}
	}
}

func parsePEM(t *testing.T, s string) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode([]byte(s))
	if b == nil || b.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %.40q", s)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func asError(t *testing.T, err error) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("want *provider.Error, got %T %v", err, err)
	}
	return pe
}

func slowSession(t *testing.T, delay time.Duration) (url, id string) {
	t.Helper()
	s, err := sim.New(sim.Config{APIKey: testKey, Log: zerolog.Nop(), SlowDelay: delay})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := provider.NewClient(srv.URL, testKey, nil, time.Second)
	sess, err := c.CreateSession(context.Background(), provider.CreateSessionRequest{
		OrderID: "O", IIN: sim.TriggerIINSlow, Phone: "+77011234567", Lang: "ru"})
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, sess.SessionID
}

func TestTimeout(t *testing.T) {
	// The provider takes an hour: only the client's 100 ms timeout can end
	// the call (the simulator stops waiting when the client hangs up), so
	// the error proves the timeout, with no clock in the test.
	url, id := slowSession(t, time.Hour)
	c := provider.NewClient(url, testKey, nil, 100*time.Millisecond)
	_, err := c.SubmitCode(context.Background(), id, "123456")
	pe := asError(t, err)
	if pe.Code != provider.CodeTimeout || !provider.Retryable(err) {
		t.Fatalf("want retryable timeout, got %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cause lost: %v", pe.Err)
	}
	if strings.Contains(err.Error(), "123456") {
		t.Errorf("error echoes the code: %v", err)
	}
}

func TestCallerCancel(t *testing.T) {
	url, id := slowSession(t, time.Hour) // only the cancel can end the call
	c := provider.NewClient(url, testKey, nil, 10*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	err := c.ResendCode(ctx, id)
	if provider.ErrorCode(err) != provider.CodeCanceled || !errors.Is(err, context.Canceled) || provider.Retryable(err) {
		t.Fatalf("want canceled, got %v", err)
	}
	// A deadline of the caller's own is a timeout, like ours.
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.ResendCode(ctx, id); provider.ErrorCode(err) != provider.CodeTimeout {
		t.Fatalf("want timeout, got %v", err)
	}
}

func TestNonJSONErrors(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
	}{
		{http.StatusBadGateway, provider.CodeUnavailable},
		{http.StatusServiceUnavailable, provider.CodeUnavailable},
		{http.StatusGatewayTimeout, provider.CodeUnavailable},
		{http.StatusInternalServerError, provider.CodeInternal},
		{http.StatusNotFound, provider.CodeInternal},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte("<html><body>Bad Gateway</body></html>"))
		}))
		c := provider.NewClient(srv.URL, testKey, nil, time.Second)
		_, err := c.Certificate(context.Background(), "s1", "Secret#2026")
		srv.Close()
		pe := asError(t, err)
		if pe.Code != tc.code || pe.Status != tc.status {
			t.Errorf("%d: got %s %d", tc.status, pe.Code, pe.Status)
		}
		if strings.Contains(err.Error(), "Secret#2026") {
			t.Errorf("error echoes the password: %v", err)
		}
	}
}

func TestClosedServer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := provider.NewClient(url, testKey, nil, time.Second)
	_, err := c.CreateSession(context.Background(), provider.CreateSessionRequest{IIN: "900101300123"})
	pe := asError(t, err)
	if pe.Code != provider.CodeUnavailable || !provider.Retryable(err) {
		t.Fatalf("want unavailable, got %v", err)
	}
	if strings.Contains(pe.Message, "900101300123") {
		t.Fatalf("error echoes request data: %v", err)
	}
}

func TestBadSuccessBodies(t *testing.T) {
	for name, body := range map[string][]byte{
		"not json":  []byte("<html>ok</html>"),
		"too large": append(append([]byte(`{"session_id":"`), bytes.Repeat([]byte("a"), provider.MaxResponseBytes)...), `"}`...),
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(body)
		}))
		c := provider.NewClient(srv.URL, testKey, nil, 5*time.Second)
		_, err := c.CreateSession(context.Background(), provider.CreateSessionRequest{})
		srv.Close()
		if pe := asError(t, err); pe.Code != provider.CodeInternal {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

func TestRequestShape(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.EscapedPath() != "/api/v1/sessions/a%2Fb/egov-code/resend" ||
			r.Header.Get("Authorization") != "Bearer "+testKey {
			t.Errorf("request %s %s auth %q", r.Method, r.URL.EscapedPath(), r.Header.Get("Authorization"))
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	c := provider.NewClient(srv.URL+"/api/", testKey, nil, time.Second)
	if err := c.ResendCode(context.Background(), "a/b"); err != nil {
		t.Fatal(err)
	}
}
