package headoffice

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/logging"
	"almatel.kz/signkiosk/app/logging/logtest"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/pack/packtest"
	"almatel.kz/signkiosk/sync/pki"
	"github.com/rs/zerolog"
)

const (
	testIIN   = "900101300123"
	kioskID   = "ALM-001-K1"
	packageID = "0b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a"
)

type fixture struct {
	t      *testing.T
	srv    *Server
	api    *httptest.Server
	dl     *httptest.Server
	client *http.Client
	st     *FileStorage
	db     *SQLiteIndex
	pki    *pki.PKI
	dir    string
	now    atomic.Int64 // unix nanoseconds
	logs   *logtest.Buffer
}

type options struct {
	maxSize     int64
	maxInFlight int
	maxPerKiosk int
	// pk's roots are trusted and its kiosk enrolled, unless roots says
	// otherwise; enrol lists more kiosks to enrol.
	pk    *packages
	enrol []packtest.Kiosk
	// kioskRoots is the kiosk CA; default pk's, else an empty pool.
	kioskRoots *x509.CertPool
	// The body's progress rule; zero takes the defaults.
	minRate              int64
	rateGrace, readStall time.Duration
	storage              func(*FileStorage) Storage // wraps the file storage
	spoolDir             string
	// roots the packages' signatures must chain to; nil trusts nothing.
	roots *x509.CertPool
}

func newFixture(t *testing.T, o options) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), logs: &logtest.Buffer{}}
	f.now.Store(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC).UnixNano())
	ctx := context.Background()
	var err error
	f.pki, err = pki.LoadOrCreate(filepath.Join(f.dir, "pki"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	f.db, err = OpenIndex(ctx, filepath.Join(f.dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.db.Close() })
	f.st = &FileStorage{Dir: filepath.Join(f.dir, "packages")}
	var st Storage = f.st
	if o.storage != nil {
		st = o.storage(f.st)
	}
	roots, kioskRoots := o.roots, o.kioskRoots
	if o.pk != nil {
		if roots == nil {
			roots = o.pk.env.Roots()
		}
		if kioskRoots == nil {
			kioskRoots = o.pk.env.KioskRoots()
		}
		o.enrol = append(o.enrol, o.pk.kiosk)
	}
	if roots == nil {
		roots = x509.NewCertPool()
	}
	if kioskRoots == nil {
		kioskRoots = x509.NewCertPool()
	}
	for _, k := range o.enrol {
		if err := f.db.Enrol(ctx, k.Cert(t), time.Unix(0, f.now.Load())); err != nil {
			t.Fatal(err)
		}
	}
	f.srv, err = New(Config{
		Roots: roots, KioskRoots: kioskRoots,
		Storage: st, Index: f.db, Log: logging.New(f.logs, zerolog.DebugLevel),
		Now:     func() time.Time { return time.Unix(0, f.now.Load()) },
		MaxSize: o.maxSize, MaxInFlight: o.maxInFlight,
		MaxPerKiosk: o.maxPerKiosk, MinRate: o.minRate, RateGrace: o.rateGrace, ReadStall: o.readStall,
		SpoolDir: o.spoolDir,
		LinkKey:  []byte("0123456789abcdef0123456789abcdef"),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.api = httptest.NewUnstartedServer(f.srv.Handler())
	f.api.TLS = f.srv.TLSConfig(pki.ServerTLS(f.pki))
	f.api.StartTLS()
	t.Cleanup(f.api.Close)
	f.dl = httptest.NewServer(f.srv.DownloadHandler())
	t.Cleanup(f.dl.Close)
	f.client = f.kioskClient(f.pki, kioskID)
	return f
}

func (f *fixture) kioskClient(p *pki.PKI, cn string) *http.Client {
	f.t.Helper()
	dir := f.t.TempDir()
	cert, key, err := p.ClientCert(dir, cn)
	if err != nil {
		f.t.Fatal(err)
	}
	cfg, err := pki.ClientTLS(f.pki.CAPath(), cert, key)
	if err != nil {
		f.t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 30 * time.Second}
	f.t.Cleanup(c.CloseIdleConnections)
	return c
}

// put uploads body with the given Content-Digest ("" for none) and
// returns the status and decoded error body.
func (f *fixture) put(id string, body []byte, digest string) (int, ErrorBody) {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodPut, f.api.URL+"/v1/packages/"+id, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if digest != "" {
		req.Header.Set("Content-Digest", digest)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var eb ErrorBody
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &eb)
	return resp.StatusCode, eb
}

func (f *fixture) assertNothingStored(id string) {
	f.t.Helper()
	if _, ok, err := f.db.Package(context.Background(), id); err != nil || ok {
		f.t.Errorf("index holds %s (err %v)", id, err)
	}
	ents, _ := os.ReadDir(f.st.Dir)
	for _, e := range ents {
		f.t.Errorf("storage holds %s", e.Name())
	}
}

func (f *fixture) assertNoPII() {
	f.t.Helper()
	if l := f.logs.String(); strings.Contains(l, testIIN) || strings.Contains(l, "Сәрсенбаев") {
		f.t.Errorf("logs hold personal data:\n%s", l)
	}
}

// built packages, made once per test that needs them: signed by kiosk
// kioskID (the fixture's client), whose device certificate the env's kiosk
// CA issued.
type packages struct {
	env           *packtest.Env
	kiosk         packtest.Kiosk
	signed        packtest.Signed
	files         pack.Files // good's inputs, without the device certificate
	good, other   []byte
	unsigned      []byte
	shortSig      []byte
	tamperedPDF   []byte
	otherKioskKey []byte
}

func buildPackages(t *testing.T) packages {
	t.Helper()
	env := packtest.NewEnv(t)
	k := env.NewKiosk(t, kioskID)
	s := env.Sign(t, testIIN, []byte("%PDF-1.7 application"))
	files := k.Files(t, s)
	p := packages{env: env, kiosk: k, signed: s, files: files, good: k.Build(t, files)}
	// Another valid package under the same id: same session, another
	// evidence.
	f2 := files
	f2.Evidence = packtest.Evidence(t, s, func(m map[string]any) { m["kiosk"] = kioskID; m["lang"] = "ru" })
	p.other = k.Build(t, f2)
	p.unsigned = dropEntry(t, p.good, pack.NameManifestSig)
	f4 := files
	f4.CMS = s.BES // the provider's signature alone: CAdES-BES, not long-term
	p.shortSig = k.Build(t, f4)
	f3 := files
	f3.PDF = append(bytes.Clone(files.PDF), " tampered"...)
	p.tamperedPDF = k.Build(t, f3)
	// The manifest signed by a key that is not the kiosk's.
	_, otherKey, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	p.otherKioskKey = packtest.Forge(t, p.good, packtest.Forgery{Keep: true, Sign: func(m []byte) []byte { return ed25519.Sign(otherKey, m) }})
	return p
}

// as builds the good package's files as kiosk k, filed under id.
func (p packages) as(t *testing.T, k packtest.Kiosk, id string) []byte {
	t.Helper()
	f := p.files
	f.PackageID = id
	f.Evidence = packtest.Evidence(t, p.signed, func(m map[string]any) { m["kiosk"] = k.ID })
	return k.Build(t, f)
}

func dropEntry(t *testing.T, z []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if f.Name == name {
			continue
		}
		if err := zw.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestHealth(t *testing.T) {
	f := newFixture(t, options{})
	for _, c := range []struct {
		client *http.Client
		url    string
	}{{f.client, f.api.URL}, {http.DefaultClient, f.dl.URL}} {
		resp, err := c.client.Get(c.url + "/v1/health")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"ok"`) {
			t.Errorf("%s health: %d %s", c.url, resp.StatusCode, b)
		}
	}
}

func TestPutCreatedThenHeldThenConflict(t *testing.T) {
	p := buildPackages(t)
	f := newFixture(t, options{pk: &p})
	if code, eb := f.put(packageID, p.good, ContentDigest(p.good)); code != http.StatusCreated {
		t.Fatalf("first PUT: %d %+v", code, eb)
	}
	if code, eb := f.put(packageID, p.good, ContentDigest(p.good)); code != http.StatusOK {
		t.Fatalf("repeat PUT: %d %+v", code, eb)
	}
	if code, eb := f.put(packageID, p.other, ContentDigest(p.other)); code != http.StatusConflict || eb.Error != CodeConflict {
		t.Fatalf("other digest: %d %+v", code, eb)
	}
	held, err := os.ReadFile(filepath.Join(f.st.Dir, packageID+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(held, p.good) {
		t.Error("held package changed by the conflicting upload")
	}
	fi, err := os.Stat(filepath.Join(f.st.Dir, packageID+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("package mode %v, want 0600", fi.Mode().Perm())
	}
	rec, ok, err := f.db.Package(context.Background(), packageID)
	if err != nil || !ok {
		t.Fatalf("index row: %v %v", ok, err)
	}
	if rec.KioskCN != kioskID || rec.Size != int64(len(p.good)) || rec.Digest == "" ||
		!rec.ReceivedAt.Equal(time.Unix(0, f.now.Load())) {
		t.Errorf("index row %+v", rec)
	}
	// The validation report is kept with the row.
	var report pack.Report
	if err := json.Unmarshal(rec.Report, &report); err != nil || !report.Passed() || len(report.Checks) != 16 ||
		len(report.Package.Checks) != 11 || report.Package.ManifestSignature != "verified" || strings.Contains(string(rec.Report), testIIN) {
		t.Errorf("stored report %v: %s", err, rec.Report)
	}
	// A conflict on the storage side (body there, index lost) is refused too.
	if _, err := f.db.DB().Exec(`DELETE FROM packages`); err != nil {
		t.Fatal(err)
	}
	if code, _ := f.put(packageID, p.other, ContentDigest(p.other)); code != http.StatusConflict {
		t.Errorf("storage-side conflict: %d", code)
	}
	if n := strings.Count(f.logs.String(), "ALARM"); n != 2 {
		t.Errorf("%d alarm lines, want 2:\n%s", n, f.logs.String())
	}
	f.assertNoPII()
}

func TestPutBadDigest(t *testing.T) {
	p := buildPackages(t)
	f := newFixture(t, options{pk: &p})
	for name, digest := range map[string]string{
		"missing":   "",
		"wrong":     ContentDigest(p.other),
		"malformed": "sha-256=abc",
		"not sha":   "sha-512=:" + strings.Repeat("A", 88) + ":",
		"short":     "sha-256=:AAAA:",
	} {
		code, eb := f.put(packageID, p.good, digest)
		if code != http.StatusBadRequest || eb.Error != CodeBadDigest {
			t.Errorf("%s: %d %+v", name, code, eb)
		}
	}
	f.assertNothingStored(packageID)
	// Several algorithms in one header: sha-256 is found.
	if code, eb := f.put(packageID, p.good, "sha-512=:AAAA:, "+ContentDigest(p.good)); code != http.StatusCreated {
		t.Errorf("dictionary header: %d %+v", code, eb)
	}
}

func TestPutTooLarge(t *testing.T) {
	p := buildPackages(t)
	f := newFixture(t, options{pk: &p, maxSize: int64(len(p.good)) - 1})
	if code, eb := f.put(packageID, p.good, ContentDigest(p.good)); code != http.StatusRequestEntityTooLarge || eb.Error != CodeTooLarge {
		t.Errorf("with Content-Length: %d %+v", code, eb)
	}
	// Chunked, so no Content-Length: the read limit must catch it.
	req, err := http.NewRequest(http.MethodPut, f.api.URL+"/v1/packages/"+packageID, io.MultiReader(bytes.NewReader(p.good)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Digest", ContentDigest(p.good))
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked: %d", resp.StatusCode)
	}
	f.assertNothingStored(packageID)
}

func TestPutInvalidPackage(t *testing.T) {
	p := buildPackages(t)
	f := newFixture(t, options{pk: &p})
	truncated := p.good[:len(p.good)/2]
	flipped := bytes.Clone(p.good)
	flipped[len(flipped)/3] ^= 0xff
	for name, body := range map[string][]byte{
		"not a zip":    []byte("this is not a zip"),
		"truncated":    truncated,
		"flipped byte": flipped,
		"unsigned":     p.unsigned,
		"tampered pdf": p.tamperedPDF,
		"foreign key":  p.otherKioskKey,
		"short sig":    p.shortSig,
		"empty":        {},
	} {
		code, eb := f.put(packageID, body, ContentDigest(body))
		if code != http.StatusUnprocessableEntity || eb.Error != CodeInvalidPackage || len(eb.Problems) == 0 {
			t.Errorf("%s: %d %+v", name, code, eb)
		}
		t.Logf("%s: %q", name, eb.Problems)
		for _, pr := range eb.Problems {
			if strings.Contains(pr, testIIN) {
				t.Errorf("%s: problem line holds the IIN: %s", name, pr)
			}
		}
	}
	// The refusal names the check that failed.
	if _, eb := f.put(packageID, p.shortSig, ContentDigest(p.shortSig)); eb.Check != "timestamp_present" ||
		!strings.Contains(eb.Message, "not long-term valid") {
		t.Errorf("short signature: %+v", eb)
	}
	if _, eb := f.put(packageID, p.tamperedPDF, ContentDigest(p.tamperedPDF)); eb.Check != "document_digest" {
		t.Errorf("tampered pdf: %+v", eb)
	}
	f.assertNothingStored(packageID)
	f.assertNoPII()
}

// A head office that trusts other roots refuses even a good package, and
// says which check: nothing is taken on the package's word.
func TestPutRefusedUnderForeignRoots(t *testing.T) {
	p := buildPackages(t)
	foreign := packtest.NewEnv(t)
	f := newFixture(t, options{pk: &p, roots: foreign.NationalRoots()})
	code, eb := f.put(packageID, p.good, ContentDigest(p.good))
	if code != http.StatusUnprocessableEntity || eb.Check != "timestamp_tsa_chain" {
		t.Fatalf("%d %+v", code, eb)
	}
	f.assertNothingStored(packageID)
}

func TestPutBadRequestAndAuth(t *testing.T) {
	p := buildPackages(t)
	f := newFixture(t, options{pk: &p})
	for _, id := range []string{"not-a-uuid", strings.ToUpper(packageID), "{" + packageID + "}"} {
		if code, eb := f.put(url.PathEscape(id), p.good, ContentDigest(p.good)); code != http.StatusBadRequest || eb.Error != CodeBadRequest {
			t.Errorf("id %q: %d %+v", id, code, eb)
		}
	}
	// Without TLS (a misconfigured deployment) the handler still refuses.
	req := httptest.NewRequest(http.MethodPut, "/v1/packages/"+packageID, bytes.NewReader(p.good))
	req.Header.Set("Content-Digest", ContentDigest(p.good))
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), CodeUnauthorized) {
		t.Errorf("no TLS: %d %s", rec.Code, rec.Body)
	}
	f.assertNothingStored(packageID)
}

func TestTLSRefusesMissingOrForeignClientCert(t *testing.T) {
	f := newFixture(t, options{})
	base := f.client.Transport.(*http.Transport).TLSClientConfig.Clone()
	base.Certificates = nil
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: base}, Timeout: 10 * time.Second}
	if resp, err := c.Get(f.api.URL + "/v1/health"); err == nil {
		resp.Body.Close()
		t.Error("no client certificate: request succeeded")
	}
	other, err := pki.LoadOrCreate(t.TempDir(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	foreign := f.kioskClient(other, kioskID)
	if resp, err := foreign.Get(f.api.URL + "/v1/health"); err == nil {
		resp.Body.Close()
		t.Error("client certificate from another CA: request succeeded")
	}
}

func TestDownloadLink(t *testing.T) {
	p := buildPackages(t)
	f := newFixture(t, options{pk: &p})
	if code, eb := f.put(packageID, p.good, ContentDigest(p.good)); code != http.StatusCreated {
		t.Fatalf("PUT: %d %+v", code, eb)
	}
	now := time.Unix(0, f.now.Load())
	link := f.srv.Link(f.dl.URL+"/", packageID, now)
	if !strings.HasPrefix(link, f.dl.URL+"/v1/p/"+packageID+"?exp=") {
		t.Fatalf("link %s", link)
	}
	get := func(u string) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(u) // a phone: no client certificate
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	// The link gives the electronic-document card, the one PDF a phone
	// opens; &format=zip the whole package.
	resp, body := get(link)
	card, err := pack.File(p.good, pack.NameCard)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !bytes.Equal(body, card) {
		t.Fatalf("download: %d, %d bytes", resp.StatusCode, len(body))
	}
	if ct, cd := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"); ct != "application/pdf" || !strings.HasPrefix(cd, "inline") {
		t.Errorf("card headers: %q %q", ct, cd)
	}
	resp, body = get(link + "&format=zip")
	if resp.StatusCode != 200 || !bytes.Equal(body, p.good) {
		t.Fatalf("zip download: %d, %d bytes", resp.StatusCode, len(body))
	}
	if ct, cd := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"); ct != "application/zip" || !strings.HasPrefix(cd, "attachment") {
		t.Errorf("zip headers: %q %q", ct, cd)
	}

	u, _ := url.Parse(link)
	q := u.Query()
	tamper := func(edit func(url.Values), path string) string {
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = append([]string(nil), v...)
		}
		edit(q2)
		v := *u
		if path != "" {
			v.Path = path
		}
		v.RawQuery = q2.Encode()
		return v.String()
	}
	sig := q.Get("sig")
	flip := "0"
	if sig[0] == '0' {
		flip = "1"
	}
	for name, bad := range map[string]string{
		"sig":     tamper(func(v url.Values) { v.Set("sig", flip+sig[1:]) }, ""),
		"exp":     tamper(func(v url.Values) { v.Set("exp", v.Get("exp")+"0") }, ""),
		"no sig":  tamper(func(v url.Values) { v.Del("sig") }, ""),
		"id":      tamper(func(url.Values) {}, "/v1/p/1b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a"),
		"bad hex": tamper(func(v url.Values) { v.Set("sig", "zz") }, ""),
	} {
		if resp, _ := get(bad); resp.StatusCode != http.StatusForbidden {
			t.Errorf("tampered %s: %d", name, resp.StatusCode)
		}
	}
	// Expiry follows the server's clock.
	f.now.Store(now.Add(DefaultLinkTTL + time.Second).UnixNano())
	if resp, _ := get(link); resp.StatusCode != http.StatusGone {
		t.Errorf("expired: %d", resp.StatusCode)
	}
	// A valid link to a package not held.
	missing := f.srv.Link(f.dl.URL, "1b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a", time.Unix(0, f.now.Load()))
	if resp, _ := get(missing); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown package: %d", resp.StatusCode)
	}
	// The upload API is not on the download listener.
	req, _ := http.NewRequest(http.MethodPut, f.dl.URL+"/v1/packages/"+packageID, bytes.NewReader(p.good))
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("PUT on the download listener: %d", resp.StatusCode)
		}
	}
}

// A failure (or crash) between the durable temp write and the link leaves
// no visible package; the kiosk's retry then stores it.
func TestStorageFailureLeavesNothingVisible(t *testing.T) {
	p := buildPackages(t)
	f := newFixture(t, options{pk: &p})
	f.st.beforeLink = func() error { return errors.New("simulated crash before rename") }
	if code, eb := f.put(packageID, p.good, ContentDigest(p.good)); code != http.StatusInternalServerError || eb.Error != CodeInternal {
		t.Fatalf("failing storage: %d %+v", code, eb)
	}
	if strings.Contains(f.logs.String(), testIIN) {
		t.Error("log holds the IIN")
	}
	f.assertNothingStored(packageID)
	link := f.srv.Link(f.dl.URL, packageID, time.Unix(0, f.now.Load()))
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("download after failed store: %d", resp.StatusCode)
	}
	f.st.beforeLink = nil
	if code, eb := f.put(packageID, p.good, ContentDigest(p.good)); code != http.StatusCreated {
		t.Fatalf("retry: %d %+v", code, eb)
	}
}

// A crash after the body is durable but before the index row: the retry
// indexes it and answers 201 (the kiosk never got an answer before).
func TestCrashBeforeIndexRow(t *testing.T) {
	p := buildPackages(t)
	f := newFixture(t, options{pk: &p})
	created, err := f.st.Put(context.Background(), packageID, digestHex(p.good), bytes.NewReader(p.good), int64(len(p.good)))
	if err != nil || !created {
		t.Fatalf("direct Put: %v %v", created, err)
	}
	if code, eb := f.put(packageID, p.good, ContentDigest(p.good)); code != http.StatusCreated {
		t.Fatalf("retry after crash: %d %+v", code, eb)
	}
	if _, ok, _ := f.db.Package(context.Background(), packageID); !ok {
		t.Error("index row missing")
	}
}

func TestFileStorage(t *testing.T) {
	ctx := context.Background()
	st := &FileStorage{Dir: filepath.Join(t.TempDir(), "p")}
	body := []byte("body")
	d := digestHex(body)
	if _, err := st.Put(ctx, "../x", d, bytes.NewReader(body), 4); err == nil {
		t.Error("path id accepted")
	}
	if _, err := st.Put(ctx, packageID, d, bytes.NewReader([]byte("bodx")), 4); !errors.Is(err, ErrBodyMismatch) {
		t.Errorf("mismatching body: %v", err)
	}
	if _, err := st.Put(ctx, packageID, d, bytes.NewReader(body), 3); !errors.Is(err, ErrBodyMismatch) {
		t.Errorf("wrong size: %v", err)
	}
	if created, err := st.Put(ctx, packageID, d, bytes.NewReader(body), 4); err != nil || !created {
		t.Fatalf("Put: %v %v", created, err)
	}
	if created, err := st.Put(ctx, packageID, d, bytes.NewReader(body), 4); err != nil || created {
		t.Errorf("Put again: %v %v", created, err)
	}
	if _, err := st.Put(ctx, packageID, digestHex([]byte("other")), bytes.NewReader([]byte("other")), 5); !errors.Is(err, ErrConflict) {
		t.Errorf("conflict: %v", err)
	}
	if got, ok, err := st.Digest(ctx, packageID); err != nil || !ok || got != d {
		t.Errorf("Digest: %s %v %v", got, ok, err)
	}
	if _, err := st.Get(ctx, "1b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get missing: %v", err)
	}
	ents, _ := os.ReadDir(st.Dir)
	if len(ents) != 1 {
		t.Errorf("%d files in storage, want 1 (no temp files left)", len(ents))
	}
	if err := os.WriteFile(filepath.Join(st.Dir, ".tmp-stray"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := st.CleanTemp(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(st.Dir); len(ents) != 1 {
		t.Errorf("CleanTemp left %d files", len(ents))
	}
}

func TestNewChecksConfig(t *testing.T) {
	db, err := OpenIndex(context.Background(), filepath.Join(t.TempDir(), "i.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key := []byte("0123456789abcdef")
	roots := x509.NewCertPool()
	for name, c := range map[string]Config{
		"no storage": {Index: db, LinkKey: key, Roots: roots},
		"no index":   {Storage: &FileStorage{}, LinkKey: key, Roots: roots},
		"short key":  {Storage: &FileStorage{}, Index: db, LinkKey: key[:8], Roots: roots},
		"no roots":   {Storage: &FileStorage{}, Index: db, LinkKey: key},
		"memory below one package": {Storage: &FileStorage{}, Index: db, LinkKey: key, Roots: roots,
			MaxSize: 1 << 20, MaxMemory: 4 << 20},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func digestHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Racing uploads of one id: exactly one is created, the same bytes are
// "already held", other bytes conflict, and the held body is one of them
// whole.
func TestConcurrentPuts(t *testing.T) {
	p := buildPackages(t)
	const n = 12
	// Most wait for a slot. All come from one kiosk: the per-kiosk limit is
	// set above n, or whichever overlap past it would get 429 (a flake:
	// how many overlap depends on timing); TestPerKioskLimit tests it.
	f := newFixture(t, options{pk: &p, maxInFlight: 2, maxPerKiosk: n})
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		body := p.good
		if i%2 == 1 {
			body = p.other
		}
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodPut, f.api.URL+"/v1/packages/"+packageID, bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Digest", ContentDigest(body))
			resp, err := f.client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[http.StatusCreated] != 1 || count[http.StatusOK] != n/2-1 || count[http.StatusConflict] != n/2 {
		t.Errorf("status counts %v, want one 201, %d×200, %d×409", count, n/2-1, n/2)
	}
	rec, ok, err := f.db.Package(context.Background(), packageID)
	if err != nil || !ok {
		t.Fatal("no index row", err)
	}
	held, err := os.ReadFile(filepath.Join(f.st.Dir, packageID+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	if digestHex(held) != rec.Digest {
		t.Error("held body does not match its index row")
	}
	if ents, _ := os.ReadDir(f.st.Dir); len(ents) != 1 {
		t.Errorf("%d files in storage, want 1", len(ents))
	}
}

// An upload abandoned while waiting for a slot must not end as an implicit
// 200, which a client would read as "stored".
func TestPutWaitingForSlotCancelled(t *testing.T) {
	f := newFixture(t, options{maxInFlight: 1})
	if err := f.srv.slots.acquire(context.Background(), 1); err != nil { // the only slot is busy
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rec := f.serveDirect(ctx, []byte("zip"), func() { waitFor(t, "the upload to wait for a slot", f.srv.slots) })
	cancel()
	if code := rec(); code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", code)
	}
	f.assertNothingStored(packageID)
}

// serveDirect runs a PUT of body through the handler, without TLS or a
// network, as kioskID; the handler runs in the background once ready has
// returned, and the returned func waits for its status.
func (f *fixture) serveDirect(ctx context.Context, body []byte, ready func()) func() int {
	req := httptest.NewRequestWithContext(ctx, http.MethodPut, "/v1/packages/"+packageID, bytes.NewReader(body))
	req.Header.Set("Content-Digest", ContentDigest(body))
	req.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{{Subject: pkix.Name{CommonName: kioskID}}}}}
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.srv.Handler().ServeHTTP(rec, req)
	}()
	ready()
	return func() int {
		<-done
		return rec.Code
	}
}

// waitFor polls until someone waits on b. The 20 s bound is generous (it
// takes milliseconds) so a loaded machine does not fail the test.
func waitFor(t *testing.T, what string, b *budget) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, _, n := b.state(); n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
