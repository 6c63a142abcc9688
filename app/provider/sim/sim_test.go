package sim_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"image"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/logging/logtest"
	"almatel.kz/signkiosk/app/pack/packtest"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/provider/sim/simtest"
	"almatel.kz/signkiosk/sync/pki"
)

const (
	testKey      = "test-kiosk-key"
	testIIN      = "900101300123"
	testPassword = "Secret#2026"
)

// clock is the injected clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	sim    *sim.Simulator
	client *provider.Client
	clock  *clock
	url    string
	dev    simtest.Device // kiosk testKiosk, enrolled with the simulator's kiosk CA
	ca     *pki.PKI       // the kiosk CA
}

// testKiosk opens the tests' sessions.
const testKiosk = "K1"

// newEnv runs a simulator over real HTTP and a client for it; tweak may
// change the config first.
func newEnv(t *testing.T, tweak func(*sim.Config)) *env {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	dev, ca, roots := enrol(t, clk.Now)
	// One move a challenge unless a test wants the provider's own choice
	// (c.Moves = nil): acting the moves out is most of a test's time.
	cfg := sim.Config{APIKey: testKey, Log: zerolog.Nop(), Now: clk.Now, SlowDelay: 50 * time.Millisecond, KioskRoots: roots,
		Moves: func() []string { return []string{provider.MoveComeCloser} }}
	if tweak != nil {
		tweak(&cfg)
	}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatalf("sim.New: %v", err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &env{sim: s, client: provider.NewClient(srv.URL, testKey, srv.Client(), 5*time.Second), clock: clk, url: srv.URL,
		dev: dev, ca: ca}
}

// enrol makes a kiosk CA on now and kiosk testKiosk's device under it;
// roots trust the CA.
func enrol(t *testing.T, now func() time.Time) (simtest.Device, *pki.PKI, *x509.CertPool) {
	t.Helper()
	ca, err := pki.LoadOrCreate(t.TempDir(), now)
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.CA)
	return simtest.Device{Key: key, Cert: packtest.IssueDevice(t, ca, testKiosk, key.Public().(ed25519.PublicKey))}, ca, roots
}

func (e *env) create(t *testing.T, iin string) string {
	t.Helper()
	resp, err := e.client.CreateSession(context.Background(), provider.CreateSessionRequest{
		OrderID: "ORD-2026-000123", IIN: iin, Phone: "+77011234567", Lang: "kk", KioskID: testKiosk,
	})
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return resp.SessionID
}

func (e *env) code(t *testing.T, id string) string {
	t.Helper()
	c, ok := e.sim.LastCode(id)
	if !ok {
		t.Fatalf("no code for session")
	}
	return c
}

func (e *env) openDoc(t *testing.T, id string) provider.IDDocument {
	t.Helper()
	doc, err := e.client.SubmitCode(context.Background(), id, e.code(t, id))
	if err != nil {
		t.Fatalf("SubmitCode: %v", err)
	}
	return doc
}

func consent(kind string) provider.ConsentRequest {
	return provider.ConsentRequest{Kind: kind, TextSHA256: strings.Repeat("ab", 32), Lang: "kk",
		AcceptedAt: time.Date(2026, 3, 1, 10, 1, 0, 0, time.UTC)}
}

// attempt is one honest kiosk attempt: the challenge, acted out by the
// demo camera's face, signed by the env's kiosk.
func (e *env) attempt(t *testing.T, id string) (provider.BiometricsResponse, error) {
	t.Helper()
	return e.dev.AttemptAt(t, e.clock.Now, e.client, id)
}

// challenge asks for a challenge and fails the test without one.
func (e *env) challenge(t *testing.T, id string) provider.BiometricChallenge {
	t.Helper()
	ch, err := e.client.BiometricChallenge(context.Background(), id)
	must(t, err)
	return ch
}

// submission answers ch honestly: its moves acted out, signed by the env's kiosk.
func (e *env) submission(t *testing.T, id string, ch provider.BiometricChallenge) provider.BiometricsRequest {
	t.Helper()
	return e.dev.Submission(id, ch, simtest.FramesAt(t, e.clock.Now, ch.Moves...))
}

// toCertificate walks a session up to (not including) the certificate call.
func (e *env) toCertificate(t *testing.T, iin string) string {
	t.Helper()
	ctx := context.Background()
	id := e.create(t, iin)
	e.openDoc(t, id)
	must(t, e.client.Consent(ctx, id, consent(provider.ConsentPrivacy)))
	bio, err := e.attempt(t, id)
	must(t, err)
	if bio.Decision != provider.DecisionPass {
		t.Fatalf("biometrics: %+v", bio)
	}
	must(t, e.client.Consent(ctx, id, consent(provider.ConsentEDSRules)))
	return id
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr checks err is a *provider.Error with this status and code.
func wantErr(t *testing.T, err error, status int, code string) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("want %d %s, got %v", status, code, err)
	}
	if pe.Status != status || pe.Code != code {
		t.Fatalf("want %d %s, got %d %s (%s)", status, code, pe.Status, pe.Code, pe.Message)
	}
	return pe
}

func TestNewNeedsKey(t *testing.T) {
	if _, err := sim.New(sim.Config{}); err == nil {
		t.Fatal("New without an API key succeeded")
	}
}

func TestDocumentFromIIN(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct{ iin, birth, surnameEnd string }{
		{"850312100001", "1885-03-12", "в"},  // 1: man, 1800s
		{"900101300123", "1990-01-01", "в"},  // 3: man, 1900s
		{"051231600002", "2005-12-31", "ва"}, // 6: woman, 2000s
	} {
		doc := e.openDoc(t, e.create(t, tc.iin))
		if doc.IIN != tc.iin || doc.BirthDate != tc.birth {
			t.Errorf("%s: iin %s birth %s, want %s", tc.iin, doc.IIN, doc.BirthDate, tc.birth)
		}
		if !regexp.MustCompile(`^N[0-9]{8}$`).MatchString(doc.DocNumber) {
			t.Errorf("%s: doc number %q", tc.iin, doc.DocNumber)
		}
		if !strings.HasSuffix(doc.Surname, tc.surnameEnd) || doc.Given == "" || doc.Patronymic == "" {
			t.Errorf("%s: names %q %q %q", tc.iin, doc.Surname, doc.Given, doc.Patronymic)
		}
		if _, err := jpeg.Decode(bytes.NewReader(doc.PhotoJPEG)); err != nil {
			t.Errorf("%s: photo: %v", tc.iin, err)
		}
	}
	// Names given at create win.
	resp, err := e.client.CreateSession(context.Background(), provider.CreateSessionRequest{
		OrderID: "O-1", IIN: testIIN, Phone: "+77011234567", Lang: "ru",
		Surname: "Сәрсенбаев", Given: "Нұрлан", Patronymic: "Қайратұлы",
	})
	must(t, err)
	doc := e.openDoc(t, resp.SessionID)
	if doc.Surname != "Сәрсенбаев" || doc.Given != "Нұрлан" || doc.Patronymic != "Қайратұлы" {
		t.Errorf("names from the order not used: %+v", doc)
	}
}

func TestCreateValidates(t *testing.T) {
	e := newEnv(t, nil)
	for _, req := range []provider.CreateSessionRequest{
		{OrderID: "O", IIN: "90010130012", Phone: "+77011234567", Lang: "kk"},  // 11 digits
		{OrderID: "O", IIN: "901301300123", Phone: "+77011234567", Lang: "kk"}, // month 13
		{OrderID: "O", IIN: "900101700123", Phone: "+77011234567", Lang: "kk"}, // century 7
		{OrderID: "", IIN: testIIN, Phone: "+77011234567", Lang: "kk"},
		{OrderID: "O", IIN: testIIN, Phone: "call me", Lang: "kk"},
		{OrderID: "O", IIN: testIIN, Phone: "+77011234567", Lang: "de"},
	} {
		_, err := e.client.CreateSession(context.Background(), req)
		wantErr(t, err, http.StatusBadRequest, provider.CodeBadRequest)
	}
}

func TestWrongCodeCountsDown(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id := e.create(t, testIIN)
	right := e.code(t, id)
	for want := 2; want >= 0; want-- {
		_, err := e.client.SubmitCode(ctx, id, sim.TriggerWrongCode)
		pe := wantErr(t, err, http.StatusUnprocessableEntity, provider.CodeWrongCode)
		if pe.AttemptsLeft == nil || *pe.AttemptsLeft != want {
			t.Fatalf("attempts_left %v, want %d", pe.AttemptsLeft, want)
		}
		if strings.Contains(pe.Error(), sim.TriggerWrongCode) {
			t.Fatalf("error echoes the code: %v", pe)
		}
	}
	// Even the right code is refused until a resend.
	_, err := e.client.SubmitCode(ctx, id, right)
	wantErr(t, err, http.StatusTooManyRequests, provider.CodeTooMany)

	e.clock.Advance(time.Minute)
	must(t, e.client.ResendCode(ctx, id))
	if e.code(t, id) == right {
		t.Log("new code equals the old one (1 in a million)")
	}
	e.openDoc(t, id)
}

func TestResendCooldownAndLimit(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id := e.create(t, testIIN)
	first := e.code(t, id)

	err := e.client.ResendCode(ctx, id)
	wantErr(t, err, http.StatusTooManyRequests, provider.CodeTooMany)

	e.clock.Advance(59 * time.Second)
	wantErr(t, e.client.ResendCode(ctx, id), http.StatusTooManyRequests, provider.CodeTooMany)

	e.clock.Advance(time.Second)
	must(t, e.client.ResendCode(ctx, id))
	second := e.code(t, id)
	if first != second {
		// The old code no longer opens the document.
		_, err = e.client.SubmitCode(ctx, id, first)
		wantErr(t, err, http.StatusUnprocessableEntity, provider.CodeWrongCode)
	}

	e.clock.Advance(time.Minute)
	must(t, e.client.ResendCode(ctx, id))
	e.clock.Advance(time.Minute)
	wantErr(t, e.client.ResendCode(ctx, id), http.StatusTooManyRequests, provider.CodeTooMany) // MaxResends 2
	e.openDoc(t, id)
}

func TestCodeExpires(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id := e.create(t, testIIN)
	e.clock.Advance(5 * time.Minute)
	_, err := e.client.SubmitCode(ctx, id, e.code(t, id))
	wantErr(t, err, http.StatusGone, provider.CodeCodeExpired)
	must(t, e.client.ResendCode(ctx, id))
	e.openDoc(t, id)
}

func TestSessionExpires(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id := e.create(t, testIIN)
	e.openDoc(t, id)
	e.clock.Advance(30 * time.Minute)
	err := e.client.Consent(ctx, id, consent(provider.ConsentPrivacy))
	wantErr(t, err, http.StatusGone, provider.CodeSessionExpired)
	// Later the session is forgotten altogether.
	e.clock.Advance(31 * time.Minute)
	err = e.client.Consent(ctx, id, consent(provider.ConsentPrivacy))
	wantErr(t, err, http.StatusNotFound, provider.CodeNotFound)
	if _, ok := e.sim.LastCode(id); ok {
		t.Fatal("forgotten session still has a code")
	}
}

func TestOutOfOrder(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id := e.create(t, testIIN)
	conflict := func(step string, err error) {
		t.Helper()
		var pe *provider.Error
		if !errors.As(err, &pe) || pe.Status != http.StatusConflict || pe.Code != provider.CodeWrongState {
			t.Fatalf("%s: want 409 wrong_state, got %v", step, err)
		}
	}
	conflict("privacy before code", e.client.Consent(ctx, id, consent(provider.ConsentPrivacy)))
	e.openDoc(t, id)
	conflict("resend after code", e.client.ResendCode(ctx, id))
	_, err := e.client.SubmitCode(ctx, id, sim.TriggerWrongCode)
	conflict("another code after code", err)
	_, err = e.client.BiometricChallenge(ctx, id)
	conflict("biometric challenge before privacy", err)
	conflict("eds_rules before biometrics", e.client.Consent(ctx, id, consent(provider.ConsentEDSRules)))
	must(t, e.client.Consent(ctx, id, consent(provider.ConsentPrivacy)))
	_, err = e.client.Certificate(ctx, id, testPassword)
	conflict("certificate before eds_rules", err)
	_, err = e.attempt(t, id)
	must(t, err)
	must(t, e.client.Consent(ctx, id, consent(provider.ConsentEDSRules)))
	_, err = e.client.Sign(ctx, id, provider.SignRequest{DocumentSHA256: strings.Repeat("0", 64), Password: testPassword})
	conflict("sign before certificate", err)
}

func TestRepeatsAreSafe(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id := e.create(t, testIIN)
	doc := e.openDoc(t, id)
	again := e.openDoc(t, id)
	if again.DocNumber != doc.DocNumber {
		t.Fatal("repeated code gave another document")
	}
	must(t, e.client.Consent(ctx, id, consent(provider.ConsentPrivacy)))
	must(t, e.client.Consent(ctx, id, consent(provider.ConsentPrivacy)))
	// A submission repeated (a client that lost the answer) is refused
	// as a replay; the pass stands.
	ch := e.challenge(t, id)
	req := e.submission(t, id, ch)
	b1, err := e.client.Biometrics(ctx, id, req)
	must(t, err)
	if b1.Decision != provider.DecisionPass {
		t.Fatalf("biometrics: %+v", b1)
	}
	_, err = e.client.Biometrics(ctx, id, req)
	wantErr(t, err, http.StatusConflict, provider.CodeChallengeUsed)
	must(t, e.client.Consent(ctx, id, consent(provider.ConsentEDSRules)))
	c1, err := e.client.Certificate(ctx, id, testPassword)
	must(t, err)
	c2, err := e.client.Certificate(ctx, id, testPassword)
	must(t, err)
	if c1.Certificate != c2.Certificate {
		t.Fatal("repeated certificate call issued another certificate")
	}
	_, err = e.client.Certificate(ctx, id, testPassword+"x")
	wantErr(t, err, http.StatusConflict, provider.CodeWrongState)
}

func TestConsentValidates(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id := e.create(t, testIIN)
	e.openDoc(t, id)
	for _, mod := range []func(*provider.ConsentRequest){
		func(c *provider.ConsentRequest) { c.Kind = "marketing" },
		func(c *provider.ConsentRequest) { c.TextSHA256 = "abc" },
		func(c *provider.ConsentRequest) { c.TextSHA256 = strings.Repeat("zz", 32) },
		func(c *provider.ConsentRequest) { c.Lang = "de" },
	} {
		req := consent(provider.ConsentPrivacy)
		mod(&req)
		wantErr(t, e.client.Consent(ctx, id, req), http.StatusBadRequest, provider.CodeBadRequest)
	}
}

func TestBiometricsValidatesFrames(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id := e.create(t, testIIN)
	e.openDoc(t, id)
	must(t, e.client.Consent(ctx, id, consent(provider.ConsentPrivacy)))

	ch := e.challenge(t, id)
	_, err := e.client.Biometrics(ctx, id, provider.BiometricsRequest{ChallengeID: ch.ChallengeID, Nonce: ch.Nonce})
	wantErr(t, err, http.StatusBadRequest, provider.CodeBadRequest)
	huge := provider.BiometricsRequest{ChallengeID: ch.ChallengeID, Nonce: ch.Nonce,
		Frames: []provider.Frame{{JPEG: make([]byte, 5<<20)}, {JPEG: make([]byte, 5<<20)}}}
	_, err = e.client.Biometrics(ctx, id, huge)
	wantErr(t, err, http.StatusRequestEntityTooLarge, provider.CodeBadRequest)
	// A signed submission of something that is no picture.
	ch = e.challenge(t, id)
	bad := e.dev.Submission(id, ch, []provider.Frame{{JPEG: []byte("not a jpeg"), CapturedAt: e.clock.Now(), Rest: true}})
	_, err = e.client.Biometrics(ctx, id, bad)
	wantErr(t, err, http.StatusBadRequest, provider.CodeBadRequest)
	// Real frames that do not say which are at rest.
	ch = e.challenge(t, id)
	unmarked := e.submission(t, id, ch)
	for i := range unmarked.Frames {
		unmarked.Frames[i].Rest = false
	}
	_, err = e.client.Biometrics(ctx, id, e.dev.Submission(id, ch, unmarked.Frames))
	wantErr(t, err, http.StatusBadRequest, provider.CodeBadRequest)
	// None of these counted as an attempt.
	bio, err := e.attempt(t, id)
	must(t, err)
	if bio.Decision != provider.DecisionPass || bio.AttemptsLeft != 4 || bio.Liveness < 0.9 || bio.Match < 0.9 {
		t.Fatalf("biometrics: %+v", bio)
	}
}

func TestWeakPassword(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id := e.toCertificate(t, testIIN)
	for _, pw := range []string{"", "Ab1!", "password!", "12345678!", "Passw0rd", "пароль12!"} {
		_, err := e.client.Certificate(ctx, id, pw)
		pe := wantErr(t, err, http.StatusUnprocessableEntity, provider.CodeWeakPassword)
		if pw != "" && strings.Contains(pe.Error(), pw) {
			t.Fatalf("error echoes the password: %v", pe)
		}
	}
	if _, err := e.client.Certificate(ctx, id, testPassword); err != nil {
		t.Fatalf("good password refused: %v", err)
	}
}

func TestWrongPasswordOnSign(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id := e.toCertificate(t, testIIN)
	_, err := e.client.Certificate(ctx, id, testPassword)
	must(t, err)
	_, err = e.client.Sign(ctx, id, provider.SignRequest{DocumentSHA256: strings.Repeat("ab", 32), Password: "Other#2026"})
	pe := wantErr(t, err, http.StatusUnprocessableEntity, provider.CodeWrongPassword)
	if strings.Contains(pe.Error(), "Other#2026") {
		t.Fatalf("error echoes the password: %v", pe)
	}
	_, err = e.client.Sign(ctx, id, provider.SignRequest{DocumentSHA256: "beef", Password: testPassword})
	wantErr(t, err, http.StatusBadRequest, provider.CodeBadRequest)
}

func TestTriggerNoMatch(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id := e.create(t, sim.TriggerIINNoMatch)
	e.openDoc(t, id)
	must(t, e.client.Consent(ctx, id, consent(provider.ConsentPrivacy)))
	for left := 4; left >= 0; left-- {
		bio, err := e.attempt(t, id)
		must(t, err)
		want := provider.DecisionRetry
		if left == 0 {
			want = provider.DecisionFail
		}
		if bio.Decision != want || bio.Reason != sim.ReasonNoMatch || bio.AttemptsLeft != left || bio.Match >= 0.5 {
			t.Fatalf("attempt with %d left: %+v", left, bio)
		}
	}
	_, err := e.client.BiometricChallenge(ctx, id)
	pe := wantErr(t, err, http.StatusTooManyRequests, provider.CodeBiometricFailed)
	if provider.Retryable(pe) {
		t.Fatal("biometric_failed is retryable")
	}
	wantErr(t, e.client.Consent(ctx, id, consent(provider.ConsentEDSRules)), http.StatusConflict, provider.CodeWrongState)
}

func TestTriggerUnavailable(t *testing.T) {
	e := newEnv(t, nil)
	id := e.create(t, sim.TriggerIINUnavailable)
	_, err := e.client.SubmitCode(context.Background(), id, e.code(t, id))
	pe := wantErr(t, err, http.StatusServiceUnavailable, provider.CodeUnavailable)
	if !provider.Retryable(pe) {
		t.Fatal("unavailable is not retryable")
	}
}

func TestTriggerSlow(t *testing.T) {
	var mu sync.Mutex
	var waits []time.Duration
	e := newEnv(t, func(c *sim.Config) {
		c.SlowDelay = 200 * time.Millisecond
		c.Wait = func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			return ctx.Err()
		}
	})
	id := e.create(t, sim.TriggerIINSlow) // create itself is not slow
	mu.Lock()
	if len(waits) != 0 {
		t.Fatalf("create waited %v", waits)
	}
	mu.Unlock()
	e.openDoc(t, id)
	mu.Lock()
	if !slices.Equal(waits, []time.Duration{200 * time.Millisecond}) {
		t.Fatalf("the code check waited %v, want [200ms]", waits)
	}
	mu.Unlock()

	// In real time: a client with a shorter deadline times out (client_test
	// covers the error's shape), and the simulator stops waiting when it
	// gives up. The delay is an hour, so only that can end the call.
	var gaveUp logtest.Buffer
	r := newEnv(t, func(c *sim.Config) {
		c.SlowDelay = time.Hour
		c.Log = zerolog.New(&gaveUp)
	})
	rid := r.create(t, sim.TriggerIINSlow)
	short := provider.NewClient(r.url, testKey, nil, 50*time.Millisecond)
	err := short.Consent(context.Background(), rid, consent(provider.ConsentPrivacy))
	if provider.ErrorCode(err) != provider.CodeTimeout {
		t.Fatalf("want timeout, got %v", err)
	}
	// The handler notices the hang-up within milliseconds; 10 s only stops a
	// broken test (without it, the server's Close would wait the hour).
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(gaveUp.String(), "client gave up"); {
		if time.Now().After(deadline) {
			t.Fatal("the simulator kept waiting after the client gave up")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAuthAndNotFound(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	for _, key := range []string{"", "wrong-key", testKey + "x"} {
		c := provider.NewClient(e.url, key, nil, time.Second)
		_, err := c.CreateSession(ctx, provider.CreateSessionRequest{OrderID: "O", IIN: testIIN, Phone: "+77011234567", Lang: "kk"})
		wantErr(t, err, http.StatusUnauthorized, provider.CodeUnauthorized)
	}
	_, err := e.client.SubmitCode(ctx, "no-such-session", "123456")
	wantErr(t, err, http.StatusNotFound, provider.CodeNotFound)

	// Raw requests: no bearer at all, an unknown path.
	for _, tc := range []struct {
		auth, path string
		status     int
	}{{"", "/v1/sessions", http.StatusUnauthorized}, {"Bearer " + testKey, "/v2/other", http.StatusNotFound}} {
		req, _ := http.NewRequest(http.MethodPost, e.url+tc.path, strings.NewReader("{}"))
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}

func TestMalformedBody(t *testing.T) {
	e := newEnv(t, nil)
	for _, body := range []string{"{", `{"order_id":"O","bogus":1}`, strings.Repeat(" ", 70<<10) + "{}"} {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/v1/sessions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testKey)
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("body %.20q: status %d", body, resp.StatusCode)
		}
	}
}

// Frames without a face are judged, not refused: a retry with the reason,
// and the attempt counts, as with a real provider.
func TestBiometricsJudgesFaces(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	id := e.create(t, testIIN)
	e.openDoc(t, id)
	must(t, e.client.Consent(ctx, id, consent(provider.ConsentPrivacy)))

	blank := func(shade uint8) provider.Frame {
		img := image.NewGray(image.Rect(0, 0, 160, 120))
		for i := range img.Pix {
			img.Pix[i] = shade
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, nil); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(100 * time.Millisecond)
		return provider.Frame{JPEG: b.Bytes(), CapturedAt: e.clock.Now()}
	}
	rest := func(f provider.Frame) provider.Frame { f.Rest = true; return f }
	ch := e.challenge(t, id)
	bio, err := e.client.Biometrics(ctx, id, e.dev.Submission(id, ch, []provider.Frame{rest(blank(10)), blank(20)}))
	must(t, err)
	if bio.Decision != provider.DecisionRetry || bio.Reason != sim.ReasonNoFace || bio.AttemptsLeft != 4 || bio.Liveness > 0.5 {
		t.Fatalf("blank frames: %+v", bio)
	}
	ch = e.challenge(t, id)
	one := e.submission(t, id, ch)
	one = e.dev.Submission(id, ch, one.Frames[:1])
	bio, err = e.client.Biometrics(ctx, id, one)
	must(t, err)
	if bio.Decision != provider.DecisionRetry || bio.Reason != sim.ReasonNotLive || bio.AttemptsLeft != 3 {
		t.Fatalf("one frame: %+v", bio)
	}
	bio, err = e.attempt(t, id)
	must(t, err)
	if bio.Decision != provider.DecisionPass || bio.AttemptsLeft != 2 {
		t.Fatalf("demo face: %+v", bio)
	}
}
