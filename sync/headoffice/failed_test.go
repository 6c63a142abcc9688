package headoffice

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/failedsession"
	"almatel.kz/signkiosk/app/failedsession/failedtest"
	"almatel.kz/signkiosk/app/pack/packtest"
	"almatel.kz/signkiosk/sync/pki"
)

// failedFixture is head office with kiosks K1 (the fixture's client) and
// K2 enrolled by a kiosk CA on the fixture's clock, and K3 issued by that
// CA but never enrolled.
type failedFixture struct {
	*fixture
	ca         *pki.PKI
	k1, k2, k3 packtest.Kiosk
}

func newFailedFixture(t *testing.T) *failedFixture {
	t.Helper()
	// A week before the fixture's now, so the certificates cover the
	// records' past ends too.
	issued := time.Date(2026, 11, 17, 12, 0, 0, 0, time.UTC)
	ca, err := pki.LoadOrCreate(filepath.Join(t.TempDir(), "kiosk-ca"), func() time.Time { return issued })
	if err != nil {
		t.Fatal(err)
	}
	kiosk := func(id string) packtest.Kiosk {
		_, key, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		return packtest.Kiosk{ID: id, Key: key, CertPEM: packtest.IssueDevice(t, ca, id, key.Public().(ed25519.PublicKey))}
	}
	ff := &failedFixture{ca: ca, k1: kiosk(kioskID), k2: kiosk("ALM-001-K2"), k3: kiosk("ALM-001-K3")}
	ff.fixture = newFixture(t, options{kioskRoots: ca.CAPool, enrol: []packtest.Kiosk{ff.k1, ff.k2}})
	return ff
}

// record is a valid record of kiosk k ending a minute before head office's now.
func (f *failedFixture) record(k packtest.Kiosk) (failedsession.Record, []byte) {
	r := failedtest.Record(k.ID, "ALM-001", time.Unix(0, f.now.Load()).Add(-time.Minute))
	return r, failedtest.Sign(f.t, r, k.Key, k.CertPEM)
}

// putRecord PUTs body as record id over c (nil: the fixture's client, K1).
func (f *failedFixture) putRecord(c *http.Client, id string, body []byte) (int, ErrorBody) {
	f.t.Helper()
	if c == nil {
		c = f.client
	}
	req, err := http.NewRequest(http.MethodPut, f.api.URL+"/v1/failed-sessions/"+id, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Digest", ContentDigest(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var eb ErrorBody
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &eb)
	return resp.StatusCode, eb
}

func (f *failedFixture) held() []FailedSession {
	f.t.Helper()
	fs, err := f.db.FailedSessions(context.Background(), FailedFilter{})
	if err != nil {
		f.t.Fatal(err)
	}
	return fs
}

func TestFailedSessionStoredIdempotently(t *testing.T) {
	f := newFailedFixture(t)
	rec, body := f.record(f.k1)
	if code, eb := f.putRecord(nil, rec.RecordID, body); code != http.StatusCreated {
		t.Fatalf("first: %d %+v", code, eb)
	}
	if code, eb := f.putRecord(nil, rec.RecordID, body); code != http.StatusOK {
		t.Fatalf("the same bytes again: %d %+v", code, eb)
	}
	// A valid record under the held id with other contents: an alarm.
	other := rec
	other.Reason, other.Error = "cancelled", ""
	if code, eb := f.putRecord(nil, rec.RecordID, failedtest.Sign(t, other, f.k1.Key, f.k1.CertPEM)); code != http.StatusConflict || eb.Error != CodeConflict {
		t.Fatalf("other bytes under the id: %d %+v", code, eb)
	}
	if !strings.Contains(f.logs.String(), "record_conflict") {
		t.Error("no alarm logged for the conflict")
	}
	held := f.held()
	if len(held) != 1 || held[0].Reason != "biometric_failed" || held[0].Kiosk != kioskID || len(held[0].Biometrics) != 5 ||
		!bytes.Equal(held[0].Body, body) {
		t.Fatalf("held: %+v", held)
	}

	// Filters: office, kiosk, reason and the end time.
	rec2, _ := f.record(f.k1)
	rec2.Office = "AST-002"
	rec2.EndedAt = rec2.EndedAt.Add(-48 * time.Hour)
	rec2.StartedAt = rec2.EndedAt.Add(-time.Minute)
	rec2.Steps, rec2.Biometrics = []failedsession.Mark{}, []failedsession.Attempt{}
	rec2.Reason, rec2.Step, rec2.Error = "idle_timeout", "review", ""
	body2 := failedtest.Sign(t, rec2, f.k1.Key, f.k1.CertPEM)
	if code, eb := f.putRecord(nil, rec2.RecordID, body2); code != http.StatusCreated {
		t.Fatalf("second record: %d %+v", code, eb)
	}
	ctx := context.Background()
	now := time.Unix(0, f.now.Load())
	for _, tc := range []struct {
		name string
		f    FailedFilter
		want []string
	}{
		{"all, newest first", FailedFilter{}, []string{rec.RecordID, rec2.RecordID}},
		{"office", FailedFilter{Office: "AST-002"}, []string{rec2.RecordID}},
		{"since a day ago", FailedFilter{Since: now.Add(-24 * time.Hour)}, []string{rec.RecordID}},
		{"reason", FailedFilter{Reason: "idle_timeout"}, []string{rec2.RecordID}},
		{"kiosk", FailedFilter{Kiosk: "ALM-001-K2"}, nil},
		{"limit", FailedFilter{Limit: 1}, []string{rec.RecordID}},
	} {
		got, err := f.db.FailedSessions(ctx, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, g := range got {
			ids = append(ids, g.RecordID)
		}
		if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: %v, want %v", tc.name, ids, tc.want)
		}
	}
}

// Nothing is taken on the kiosk's word: each forgery is refused with its
// check, and nothing is stored.
func TestFailedSessionRefused(t *testing.T) {
	f := newFailedFixture(t)
	rec, good := f.record(f.k1)
	id := rec.RecordID
	foreignCA, err := pki.LoadOrCreate(t.TempDir(), func() time.Time { return time.Unix(0, f.now.Load()) })
	if err != nil {
		t.Fatal(err)
	}
	_, k2Body := f.record(f.k2)
	_, k3Body := f.record(f.k3)
	k2Rec := decodeRecord(t, k2Body)
	k3Rec := decodeRecord(t, k3Body)
	// An enrolled kiosk's id on a certificate from the same CA that head
	// office did not issue it.
	_, otherKey, _ := ed25519.GenerateKey(nil)
	notIssued := packtest.Kiosk{ID: kioskID, Key: otherKey, CertPEM: packtest.IssueDevice(t, f.ca, kioskID, otherKey.Public().(ed25519.PublicKey))}
	// A kiosk enrolled with a certificate from another CA: in the register,
	// but not chaining to head office's kiosk CA.
	_, k4Key, _ := ed25519.GenerateKey(nil)
	k4 := packtest.Kiosk{ID: "ALM-001-K4", Key: k4Key, CertPEM: packtest.IssueDevice(t, foreignCA, "ALM-001-K4", k4Key.Public().(ed25519.PublicKey))}
	if err := f.db.Enrol(context.Background(), k4.Cert(t), time.Unix(0, f.now.Load())); err != nil {
		t.Fatal(err)
	}
	k4Rec, k4Body := f.record(k4)
	c4 := f.kioskClient(f.pki, k4.ID)
	c2 := f.kioskClient(f.pki, f.k2.ID)
	c3 := f.kioskClient(f.pki, f.k3.ID)
	notIssuedRec, notIssuedBody := f.record(notIssued)

	for _, tc := range []struct {
		name, check, want string
		client            *http.Client
		id                string
		body              []byte
	}{
		{"altered, old signature", failedsession.CheckSignature, "does not verify with the device key", nil, id,
			failedtest.Forge(t, good, failedtest.Forgery{Edit: func(m map[string]any) { m["reason"] = "cancelled" }})},
		{"signed by another key", failedsession.CheckSignature, "does not verify", nil, id,
			failedtest.Forge(t, good, failedtest.Forgery{Key: otherKey})},
		{"empty signature", failedsession.CheckSignature, "not signed", nil, id,
			failedtest.Forge(t, good, failedtest.Forgery{Envelope: func(m map[string]any) { m["signature"] = "" }})},
		{"another kiosk's record, delivered by K1", CheckKioskClient, "signed by kiosk ALM-001-K2 but delivered by kiosk ALM-001-K1", nil,
			k2Rec.RecordID, k2Body},
		{"a kiosk never enrolled", CheckKioskEnrolled, "signed by kiosk ALM-001-K3, which head office has not enrolled", c3,
			k3Rec.RecordID, k3Body},
		{"a device certificate head office did not issue the kiosk", CheckKioskEnrolled, "did not issue it", nil,
			notIssuedRec.RecordID, notIssuedBody},
		{"a device certificate from another CA", failedsession.CheckDeviceChain, "kiosk CA", c4, k4Rec.RecordID, k4Body},
		{"unknown field (the IIN), signed by the kiosk", failedsession.CheckFields, `unknown field "iin"`, nil, id,
			failedtest.Forge(t, good, failedtest.Forgery{Edit: func(m map[string]any) { m["iin"] = testIIN }, Key: f.k1.Key})},
		{"unknown field (a frame) in an attempt, signed", failedsession.CheckFields, `unknown field "frame"`, nil, id,
			failedtest.Forge(t, good, failedtest.Forgery{Edit: func(m map[string]any) {
				m["biometrics"].([]any)[0].(map[string]any)["frame"] = "/9j/4AAQSkZJRg=="
			}, Key: f.k1.Key})},
		{"a phone smuggled in as staff, signed", failedsession.CheckPersonalData, "staff looks like an IIN or a phone number", nil, id,
			failedtest.Forge(t, good, failedtest.Forgery{Edit: func(m map[string]any) { m["staff"] = "+77011234567" }, Key: f.k1.Key})},
		{"the IIN in the order id, signed", failedsession.CheckPersonalData, "order_id looks like", nil, id,
			failedtest.Forge(t, good, failedtest.Forgery{Edit: func(m map[string]any) { m["order_id"] = "ORD-" + testIIN }, Key: f.k1.Key})},
		{"not canonical, signed", failedsession.CheckFormat, "canonical", nil, id,
			failedtest.Forge(t, good, failedtest.Forgery{Edit: func(map[string]any) {}, Key: f.k1.Key})},
		{"unknown envelope field", failedsession.CheckFormat, `unknown field "photo"`, nil, id,
			failedtest.Forge(t, good, failedtest.Forgery{Envelope: func(m map[string]any) { m["photo"] = "x" }})},
		{"under another id", failedsession.CheckRecordID, "names record " + id, nil, otherID, good},
		{"the session ends tomorrow", failedsession.CheckFields, "after head office's clock", nil, "", nil},
	} {
		if tc.body == nil {
			r := rec
			r.RecordID = "6a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
			r.EndedAt = r.EndedAt.Add(24 * time.Hour)
			r.StartedAt = r.StartedAt.Add(24 * time.Hour)
			for i := range r.Steps {
				r.Steps[i].At = r.Steps[i].At.Add(24 * time.Hour)
			}
			r.Biometrics = []failedsession.Attempt{}
			tc.id, tc.body = r.RecordID, failedtest.Sign(t, r, f.k1.Key, f.k1.CertPEM)
		}
		code, eb := f.putRecord(tc.client, tc.id, tc.body)
		if code != http.StatusUnprocessableEntity || eb.Error != CodeInvalidRecord || eb.Check != tc.check ||
			!strings.Contains(eb.Message, tc.want) || len(eb.Problems) == 0 {
			t.Errorf("%s: %d %+v; want 422 %s with %q", tc.name, code, eb, tc.check, tc.want)
		}
	}
	if held := f.held(); len(held) != 0 {
		t.Fatalf("refused records were stored: %+v", held)
	}

	// Bad requests before any verification.
	if code, eb := f.putRecord(nil, strings.ToUpper(id), good); code != http.StatusBadRequest {
		t.Errorf("id in capitals: %d %+v", code, eb)
	}
	req, _ := http.NewRequest(http.MethodPut, f.api.URL+"/v1/failed-sessions/"+id, bytes.NewReader(good))
	req.Header.Set("Content-Digest", ContentDigest([]byte("other")))
	if resp, err := f.client.Do(req); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("wrong digest: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	big := bytes.Repeat([]byte("x"), failedsession.MaxSize+1)
	if code, eb := f.putRecord(nil, id, big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized: %d %+v", code, eb)
	}

	// Revoked: its records refused from any connection, its own
	// connection too.
	if _, err := f.db.Revoke(context.Background(), f.k2.ID, time.Unix(0, f.now.Load())); err != nil {
		t.Fatal(err)
	}
	code, eb := f.putRecord(nil, k2Rec.RecordID, k2Body)
	if code != http.StatusUnprocessableEntity || eb.Check != CheckKioskRevoked || !strings.Contains(eb.Message, "signed by kiosk ALM-001-K2, whose enrolment head office revoked") {
		t.Errorf("a revoked kiosk's record: %d %+v", code, eb)
	}
	req, _ = http.NewRequest(http.MethodPut, f.api.URL+"/v1/failed-sessions/"+k2Rec.RecordID, bytes.NewReader(k2Body))
	req.Header.Set("Content-Digest", ContentDigest(k2Body))
	if resp, err := c2.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("a revoked kiosk's connection was let in: %d", resp.StatusCode)
	}

	// The real record still goes in, and the logs hold no personal data.
	if code, eb := f.putRecord(nil, id, good); code != http.StatusCreated {
		t.Fatalf("the real record: %d %+v", code, eb)
	}
	f.assertNoPII()
	if l := f.logs.String(); strings.Contains(l, "7011234567") {
		t.Errorf("logs hold the phone:\n%s", l)
	}
}

func decodeRecord(t *testing.T, body []byte) failedsession.Record {
	t.Helper()
	s, err := failedsession.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Verify()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// An index made before failed sessions were recorded opens with the table
// added, and keeps what it held.
func TestIndexGainsFailedSessions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := OpenIndex(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.DB().Exec(`DROP TABLE failed_sessions`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddPackage(ctx, Record{ID: packageID, Digest: "d", Size: 1, KioskCN: kioskID, ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = OpenIndex(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, ok, err := db.Package(ctx, packageID); err != nil || !ok {
		t.Fatalf("the package row: %v %v", ok, err)
	}
	if fs, err := db.FailedSessions(ctx, FailedFilter{}); err != nil || len(fs) != 0 {
		t.Fatalf("failed sessions: %v %v", fs, err)
	}
}
