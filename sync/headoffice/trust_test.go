package headoffice

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/pack/packtest"
	"almatel.kz/signkiosk/sync/pki"
)

const otherID = "1b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a"

// putAs uploads body as package id over client c.
func (f *fixture) putAs(c *http.Client, id string, body []byte) (int, ErrorBody) {
	f.t.Helper()
	saved := f.client
	f.client = c
	defer func() { f.client = saved }()
	return f.put(id, body, ContentDigest(body))
}

// refused asserts a 422 naming check, with want in its message, and that
// nothing was stored under id.
func (f *fixture) refused(name string, code int, eb ErrorBody, check, want string) {
	f.t.Helper()
	if code != http.StatusUnprocessableEntity || eb.Error != CodeInvalidPackage || eb.Check != check ||
		!strings.Contains(eb.Message, want) || len(eb.Problems) == 0 {
		f.t.Errorf("%s: %d %+v; want 422 check %s with %q", name, code, eb, check, want)
	}
}

// Nothing is taken on the kiosk's word: altered evidence with a manifest
// recomputed for it, an empty signature, a package under another's id, a
// kiosk head office does not know, has revoked, or that is not the one
// delivering — each refused with its own check, and nothing stored.
func TestPutRefusesWhatTheKioskDidNotSign(t *testing.T) {
	p := buildPackages(t)
	f := newFixture(t, options{pk: &p})
	for _, tc := range []struct {
		name, check, want string
		body              []byte
	}{
		{"altered evidence, recomputed manifest (pass → fail, kiosk changed)", pack.CheckManifestSignature,
			"manifest_signature: manifest.json.sig: signature does not verify with the device key device.pem certifies",
			packtest.Forge(t, p.good, packtest.Forgery{Edit: map[string]func([]byte) []byte{
				pack.NameEvidence: packtest.EditEvidence(t, func(m map[string]any) { packtest.FailBiometrics(m); m["kiosk"] = "ALM-001-K9" }),
			}})},
		{"altered evidence signed by another key", pack.CheckManifestSignature, "signature does not verify",
			packtest.Forge(t, p.good, packtest.Forgery{
				Edit: map[string]func([]byte) []byte{pack.NameEvidence: packtest.EditEvidence(t, packtest.FailBiometrics)},
				Sign: func(m []byte) []byte { _, k, _ := ed25519.GenerateKey(nil); return ed25519.Sign(k, m) }})},
		{"empty manifest signature", pack.CheckManifestSignature, "manifest.json.sig: empty: the manifest is not signed",
			packtest.Forge(t, p.good, packtest.Forgery{Keep: true, Sign: func([]byte) []byte { return nil }})},
		{"no manifest signature", pack.CheckManifestSignature, "no manifest.json.sig", p.unsigned},
		{"version 2 manifest", pack.CheckManifestFormat, "only version 3 verifies",
			packtest.Forge(t, p.good, packtest.Forgery{Manifest: func(m *pack.Manifest) { m.Version = 2 },
				Sign: func(m []byte) []byte { return ed25519.Sign(p.kiosk.Key, m) }})},
	} {
		code, eb := f.put(packageID, tc.body, ContentDigest(tc.body))
		f.refused(tc.name, code, eb, tc.check, tc.want)
	}
	f.assertNothingStored(packageID)

	// A valid package filed under another package's id is refused; the
	// package with that id is then accepted, and this one under its own.
	real := p.as(t, p.kiosk, otherID)
	code, eb := f.put(otherID, p.good, ContentDigest(p.good))
	f.refused("filed under another id", code, eb, pack.CheckPackageID, "names package "+packageID+", not "+otherID)
	f.assertNothingStored(otherID)
	if code, eb := f.put(otherID, real, ContentDigest(real)); code != http.StatusCreated {
		t.Fatalf("the real package of that id: %d %+v", code, eb)
	}
	if code, eb := f.put(packageID, p.good, ContentDigest(p.good)); code != http.StatusCreated {
		t.Fatalf("the package under its own id: %d %+v", code, eb)
	}
	// Under a held id, another package's bytes are refused for what they
	// are, not taken for a conflict (which is an alarm).
	code, eb = f.put(otherID, p.good, ContentDigest(p.good))
	f.refused("another package under a held id", code, eb, pack.CheckPackageID, "the id it is filed under")
	if strings.Contains(f.logs.String(), "ALARM") {
		t.Error("a refused package raised the conflict alarm")
	}
	for _, check := range []string{pack.CheckManifestSignature, pack.CheckPackageID} {
		if !strings.Contains(f.logs.String(), `"check":"`+check+`"`) {
			t.Errorf("no log line names %s", check)
		}
	}
	f.assertNoPII()
}

func TestPutRefusesUnknownRevokedAndOtherKiosks(t *testing.T) {
	p := buildPackages(t)
	ctx := context.Background()
	k2 := p.env.NewKiosk(t, "ALM-001-K2")
	stranger := p.env.NewKiosk(t, "ALM-001-K3") // a certificate from the kiosk CA, never enrolled
	f := newFixture(t, options{pk: &p, enrol: []packtest.Kiosk{k2}})
	c2 := f.kioskClient(f.pki, k2.ID)
	c3 := f.kioskClient(f.pki, stranger.ID)

	// Unknown: never enrolled, though its certificate is from the kiosk CA.
	code, eb := f.putAs(c3, packageID, p.as(t, stranger, packageID))
	f.refused("unknown kiosk", code, eb, CheckKioskEnrolled, "signed by kiosk ALM-001-K3, which head office has not enrolled")
	// An enrolled kiosk's id on a device certificate head office did not
	// issue it (another key, the same CA).
	forged := packtest.Kiosk{ID: kioskID, Key: stranger.Key, CertPEM: packtest.IssueDevice(t, p.env.KioskCA, kioskID, stranger.Pub())}
	code, eb = f.putAs(f.client, packageID, p.as(t, forged, packageID))
	f.refused("certificate not issued to the kiosk", code, eb, CheckKioskEnrolled, "with a device certificate head office did not issue it")

	// Not the mTLS client: kiosk 2 delivers kiosk 1's package.
	code, eb = f.putAs(c2, packageID, p.good)
	f.refused("kiosk other than the client", code, eb, CheckKioskClient, "signed by kiosk ALM-001-K1 but delivered by kiosk ALM-001-K2")
	f.assertNothingStored(packageID)

	// Revoked: kiosk 1's connection from before the revocation is answered
	// 403, a new one refused in the handshake, and its package 422 from
	// any kiosk.
	one := &http.Client{Transport: f.client.Transport.(*http.Transport).Clone(), Timeout: 30 * time.Second}
	one.Transport.(*http.Transport).MaxConnsPerHost = 1
	t.Cleanup(one.CloseIdleConnections)
	resp, err := one.Get(f.api.URL + "/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	k, err := f.db.Revoke(ctx, kioskID, time.Unix(0, f.now.Load()))
	if err != nil || !k.Revoked() {
		t.Fatalf("revoke: %+v %v", k, err)
	}
	if code, eb := f.putAs(one, packageID, p.good); code != http.StatusForbidden || eb.Error != CodeForbidden || !strings.Contains(eb.Message, "revoked") {
		t.Errorf("open connection of a revoked kiosk: %d %+v", code, eb)
	}
	fresh := f.kioskClient(f.pki, kioskID)
	if resp, err := fresh.Get(f.api.URL + "/v1/health"); err == nil {
		resp.Body.Close()
		t.Error("a revoked kiosk's new connection was accepted")
	}
	code, eb = f.putAs(c2, packageID, p.good)
	f.refused("revoked kiosk's package", code, eb, CheckKioskRevoked, "signed by kiosk ALM-001-K1, whose enrolment head office revoked at ")
	f.assertNothingStored(packageID)
	// Another kiosk is still served.
	if code, eb := f.putAs(c2, otherID, p.as(t, k2, otherID)); code != http.StatusCreated {
		t.Errorf("kiosk 2 after kiosk 1's revocation: %d %+v", code, eb)
	}
	for _, check := range []string{CheckKioskEnrolled, CheckKioskClient, CheckKioskRevoked} {
		if !strings.Contains(f.logs.String(), `"check":"`+check+`"`) {
			t.Errorf("no log line names %s", check)
		}
	}
	f.assertNoPII()
}

// A device certificate (no clientAuth, its key for manifests only) does
// not open the mTLS link, though the same CA issued it.
func TestTLSRefusesDeviceCertificate(t *testing.T) {
	f := newFixture(t, options{})
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, err := f.pki.DeviceCert(dir, kioskID, pub)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "device.key")
	writeEd25519Key(t, keyPath, key)
	cfg, err := pki.ClientTLS(f.pki.CAPath(), certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
	defer c.CloseIdleConnections()
	if resp, err := c.Get(f.api.URL + "/v1/health"); err == nil {
		resp.Body.Close()
		t.Fatal("a device certificate opened the mTLS link")
	}
}

// The stored report carries head office's checks beside the package's.
func TestStoredReportNamesTheKiosk(t *testing.T) {
	p := buildPackages(t)
	f := newFixture(t, options{pk: &p})
	if code, eb := f.put(packageID, p.good, ContentDigest(p.good)); code != http.StatusCreated {
		t.Fatalf("%d %+v", code, eb)
	}
	rec, _, err := f.db.Package(context.Background(), packageID)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"kiosk":"ALM-001-K1"`, `"id":"kiosk_client","status":"PASSED"`, `"id":"package_id","status":"PASSED"`,
		`"id":"device_chain","status":"PASSED"`, `"package_id":"` + packageID + `"`} {
		if !bytes.Contains(rec.Report, []byte(want)) {
			t.Errorf("stored report lacks %s:\n%s", want, rec.Report)
		}
	}
}

func TestRegister(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := OpenIndex(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	env := packtest.NewEnv(t)
	at := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	k1 := env.NewKiosk(t, "K1")
	if err := db.Enrol(ctx, k1.Cert(t), at); err != nil {
		t.Fatal(err)
	}
	if err := db.Enrol(ctx, k1.Cert(t), at.Add(time.Hour)); err != nil { // the same again: nothing changes
		t.Fatal(err)
	}
	renewed := packtest.Kiosk{ID: "K1", Key: k1.Key, CertPEM: packtest.IssueDevice(t, env.KioskCA, "K1", k1.Pub())}
	if err := db.Enrol(ctx, renewed.Cert(t), at.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	ks, err := db.Kiosks(ctx)
	if err != nil || len(ks) != 1 || ks[0].ID != "K1" || ks[0].Devices != 2 || !ks[0].EnrolledAt.Equal(at) || ks[0].Revoked() {
		t.Fatalf("register %+v %v", ks, err)
	}
	for _, c := range []packtest.Kiosk{k1, renewed} {
		if ok, err := db.DeviceEnrolled(ctx, c.Cert(t)); err != nil || !ok {
			t.Errorf("device certificate not enrolled: %v", err)
		}
	}
	// Not a device certificate: refused.
	s := env.Sign(t, testIIN, []byte("%PDF-1.7 x"))
	person, _, err := pack.ParseDeviceCert([]byte(s.Cert))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Enrol(ctx, person, at); err == nil || !strings.Contains(err.Error(), "not a kiosk device certificate") {
		t.Errorf("a person's certificate enrolled: %v", err)
	}
	if _, err := db.Revoke(ctx, "K9", at); !errors.Is(err, ErrUnknownKiosk) {
		t.Errorf("revoke unknown: %v", err)
	}
	k, err := db.Revoke(ctx, "K1", at.Add(3*time.Hour))
	if err != nil || !k.RevokedAt.Equal(at.Add(3*time.Hour)) {
		t.Fatalf("revoke: %+v %v", k, err)
	}
	// Again: the first time stays.
	if k, err := db.Revoke(ctx, "K1", at.Add(4*time.Hour)); err != nil || !k.RevokedAt.Equal(at.Add(3*time.Hour)) {
		t.Errorf("revoke again: %+v %v", k, err)
	}
	if err := db.Enrol(ctx, env.NewKiosk(t, "K1").Cert(t), at.Add(5*time.Hour)); !errors.Is(err, ErrRevoked) {
		t.Errorf("a revoked id enrolled again: %v", err)
	}
	// Durable: the register survives a reopen.
	db.Close()
	db, err = OpenIndex(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if k, ok, err := db.Kiosk(ctx, "K1"); err != nil || !ok || !k.Revoked() {
		t.Errorf("after reopen: %+v %v %v", k, ok, err)
	}
}

func writeEd25519Key(t *testing.T, path string, key ed25519.PrivateKey) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
