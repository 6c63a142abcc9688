// Package indextest is the contract every headoffice.Index keeps, as a
// test suite the SQLite index and the PostgreSQL one both run: the same
// answers for packages, ticket claims, the kiosk register and failed
// sessions.
package indextest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/failedsession/failedtest"
	"almatel.kz/signkiosk/app/pack/packtest"
	"almatel.kz/signkiosk/sync/headoffice"
	"almatel.kz/signkiosk/sync/heartbeat"
	"almatel.kz/signkiosk/sync/pki"
)

// Run runs the contract on fresh, empty indexes from open (one per
// subtest; open closes them when the test ends).
func Run(t *testing.T, open func(t *testing.T) headoffice.Index) {
	t.Run("Packages", func(t *testing.T) { packages(t, open(t)) })
	t.Run("TicketClaims", func(t *testing.T) { claims(t, open(t)) })
	t.Run("Register", func(t *testing.T) { register(t, open(t)) })
	t.Run("FailedSessions", func(t *testing.T) { failed(t, open(t)) })
	t.Run("Heartbeats", func(t *testing.T) { beats(t, open(t)) })
}

// at is the contract's clock: whole microseconds, as PostgreSQL keeps.
var at = time.Date(2026, 11, 24, 12, 0, 0, 123456000, time.UTC)

const pkgID = "0b7c5a8e-4f0d-4c1a-9e57-2d1f6c3b8a90"

func packages(t *testing.T, ix headoffice.Index) {
	ctx := context.Background()
	if _, ok, err := ix.Package(ctx, pkgID); err != nil || ok {
		t.Fatalf("an empty index holds %s: %v %v", pkgID, ok, err)
	}
	r := headoffice.Record{ID: pkgID, Digest: "ab12", Size: 300 << 10, KioskCN: "ALM-001-K1", ReceivedAt: at,
		Report: []byte(`{"indication":"TOTAL_PASSED","checks":[]}`)}
	if ins, err := ix.AddPackage(ctx, r); err != nil || !ins {
		t.Fatalf("add: %v %v", ins, err)
	}
	again := r
	again.Digest = "other"
	if ins, err := ix.AddPackage(ctx, again); err != nil || ins {
		t.Fatalf("add again: inserted %v %v, want the first kept", ins, err)
	}
	got, ok, err := ix.Package(ctx, pkgID)
	if err != nil || !ok || got.ID != r.ID || got.Digest != r.Digest || got.Size != r.Size || got.KioskCN != r.KioskCN ||
		!got.ReceivedAt.Equal(at) || !bytes.Equal(got.Report, r.Report) {
		t.Fatalf("read back %+v %v %v, want %+v", got, ok, err, r)
	}
	// No report is none, not an empty one.
	r2 := headoffice.Record{ID: "1b7c5a8e-4f0d-4c1a-9e57-2d1f6c3b8a90", Digest: "cd", Size: 1, KioskCN: "K", ReceivedAt: at}
	if _, err := ix.AddPackage(ctx, r2); err != nil {
		t.Fatal(err)
	}
	if got, _, err := ix.Package(ctx, r2.ID); err != nil || got.Report != nil {
		t.Fatalf("no report read back as %q %v", got.Report, err)
	}
}

func claims(t *testing.T, ix headoffice.Index) {
	ctx := context.Background()
	const tid = "5d2b8f1e-0c4a-4b7e-8a3d-6f9e1c2b7a40"
	exp := at.Add(time.Hour)
	for _, c := range []struct {
		cn      string
		now     time.Time
		holder  string
		created bool
	}{
		{"K1", at, "K1", true},
		{"K1", at.Add(time.Minute), "K1", false}, // a retried claim
		{"K2", at.Add(2 * time.Minute), "K1", false},
		{"K2", exp.Add(time.Second), "K2", true}, // the first claim expired with its ticket
	} {
		holder, created, err := ix.ClaimTicket(ctx, tid, c.cn, c.now, exp)
		if err != nil || holder != c.holder || created != c.created {
			t.Fatalf("%s claims at %v: holder %q created %v %v, want %q %v", c.cn, c.now, holder, created, err, c.holder, c.created)
		}
	}
}

func register(t *testing.T, ix headoffice.Index) {
	ctx := context.Background()
	ca, err := pki.LoadOrCreate(filepath.Join(t.TempDir(), "ca"), func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	kiosk := func(id string) *x509.Certificate {
		pub, _, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		k := packtest.Kiosk{ID: id, CertPEM: packtest.IssueDevice(t, ca, id, pub)}
		return k.Cert(t)
	}
	k1, renewed, k2 := kiosk("K1"), kiosk("K1"), kiosk("K2")
	for _, c := range []struct {
		cert *x509.Certificate
		at   time.Time
	}{{k2, at}, {k1, at}, {k1, at.Add(time.Hour)}, {renewed, at.Add(2 * time.Hour)}} {
		if err := ix.Enrol(ctx, c.cert, c.at); err != nil {
			t.Fatal(err)
		}
	}
	ks, err := ix.Kiosks(ctx)
	if err != nil || len(ks) != 2 || ks[0].ID != "K1" || ks[1].ID != "K2" || ks[0].Devices != 2 || ks[1].Devices != 1 ||
		!ks[0].EnrolledAt.Equal(at) || ks[0].Revoked() {
		t.Fatalf("register %+v %v", ks, err)
	}
	for _, c := range []*x509.Certificate{k1, renewed, k2} {
		if ok, err := ix.DeviceEnrolled(ctx, c); err != nil || !ok {
			t.Errorf("%s's device certificate not enrolled: %v", c.Subject.CommonName, err)
		}
	}
	if ok, err := ix.DeviceEnrolled(ctx, kiosk("K1")); err != nil || ok {
		t.Errorf("a certificate never enrolled counts: %v", err)
	}
	if err := ix.Enrol(ctx, selfSigned(t, "K3"), at); err == nil {
		t.Error("a certificate that is not a kiosk device certificate enrolled")
	}
	if _, ok, err := ix.Kiosk(ctx, "K3"); err != nil || ok {
		t.Errorf("a refused enrolment left kiosk K3: %v", err)
	}
	if _, err := ix.Revoke(ctx, "K9", at); !errors.Is(err, headoffice.ErrUnknownKiosk) {
		t.Errorf("revoke unknown: %v", err)
	}
	k, err := ix.Revoke(ctx, "K1", at.Add(3*time.Hour))
	if err != nil || !k.RevokedAt.Equal(at.Add(3*time.Hour)) || !k.Revoked() {
		t.Fatalf("revoke: %+v %v", k, err)
	}
	if k, err := ix.Revoke(ctx, "K1", at.Add(4*time.Hour)); err != nil || !k.RevokedAt.Equal(at.Add(3*time.Hour)) {
		t.Errorf("revoke again: %+v %v, want the first time kept", k, err)
	}
	if err := ix.Enrol(ctx, kiosk("K1"), at.Add(5*time.Hour)); !errors.Is(err, headoffice.ErrRevoked) {
		t.Errorf("a revoked id enrolled again: %v", err)
	}
	if k, ok, err := ix.Kiosk(ctx, "K2"); err != nil || !ok || k.Revoked() {
		t.Errorf("K2 %+v %v %v", k, ok, err)
	}
}

// selfSigned is a certificate named like a kiosk that no kiosk CA issued
// and that has no device profile.
func selfSigned(t *testing.T, cn string) *x509.Certificate {
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: cn}, NotBefore: at, NotAfter: at.AddDate(1, 0, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func failed(t *testing.T, ix headoffice.Index) {
	ctx := context.Background()
	ca, err := pki.LoadOrCreate(filepath.Join(t.TempDir(), "ca"), func() time.Time { return at.AddDate(0, 0, -7) })
	if err != nil {
		t.Fatal(err)
	}
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := packtest.IssueDevice(t, ca, "K1", pub)
	pub2, key2, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	cert2 := packtest.IssueDevice(t, ca, "K2", pub2)
	var held []headoffice.FailedSession
	for i, c := range []struct {
		kiosk, office string
		key           ed25519.PrivateKey
		cert          []byte
		end           time.Time
		reason        string
	}{
		{"K1", "ALM-001", key, certPEM, at.Add(-3 * time.Hour), "biometric_failed"},
		{"K2", "ALM-002", key2, cert2, at.Add(-2 * time.Hour), "cancelled"},
		{"K1", "ALM-001", key, certPEM, at.Add(-time.Hour), "cancelled"},
	} {
		r := failedtest.Record(c.kiosk, c.office, c.end)
		r.Reason = c.reason
		body := failedtest.Sign(t, r, c.key, c.cert)
		f := headoffice.FailedSession{Record: r, Digest: hexSHA256(body), ReceivedAt: at.Add(time.Duration(i) * time.Second), Body: body}
		if ins, err := ix.AddFailed(ctx, f); err != nil || !ins {
			t.Fatalf("add %d: %v %v", i, ins, err)
		}
		if ins, err := ix.AddFailed(ctx, f); err != nil || ins {
			t.Fatalf("add %d again: inserted %v %v", i, ins, err)
		}
		if d, ok, err := ix.FailedDigest(ctx, r.RecordID); err != nil || !ok || d != f.Digest {
			t.Fatalf("digest %d: %q %v %v", i, d, ok, err)
		}
		held = append(held, f)
	}
	if _, ok, err := ix.FailedDigest(ctx, "9b7c5a8e-4f0d-4c1a-9e57-2d1f6c3b8a90"); err != nil || ok {
		t.Fatalf("an unknown record has a digest: %v", err)
	}
	ids := func(fs []headoffice.FailedSession) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.RecordID)
		}
		return out
	}
	want := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, held[i].RecordID)
		}
		return out
	}
	for _, c := range []struct {
		name string
		f    headoffice.FailedFilter
		want []string
	}{
		{"all, newest first", headoffice.FailedFilter{}, want(2, 1, 0)},
		{"office", headoffice.FailedFilter{Office: "ALM-001"}, want(2, 0)},
		{"kiosk", headoffice.FailedFilter{Kiosk: "K2"}, want(1)},
		{"reason", headoffice.FailedFilter{Reason: "cancelled"}, want(2, 1)},
		{"since", headoffice.FailedFilter{Since: at.Add(-2 * time.Hour)}, want(2, 1)},
		{"limit", headoffice.FailedFilter{Limit: 1}, want(2)},
		{"all of them", headoffice.FailedFilter{Office: "ALM-001", Reason: "cancelled", Since: at.Add(-90 * time.Minute)}, want(2)},
		{"none", headoffice.FailedFilter{Office: "ALM-404"}, nil},
	} {
		got, err := ix.FailedSessions(ctx, c.f)
		if err != nil || !slices.Equal(ids(got), c.want) {
			t.Errorf("%s: %v %v, want %v", c.name, ids(got), err, c.want)
		}
	}
	got, err := ix.FailedSessions(ctx, headoffice.FailedFilter{Limit: 1})
	if err != nil || len(got) != 1 || !bytes.Equal(got[0].Body, held[2].Body) || !got[0].ReceivedAt.Equal(held[2].ReceivedAt) ||
		got[0].Digest != held[2].Digest || got[0].Reason != "cancelled" || !got[0].EndedAt.Equal(held[2].EndedAt) {
		t.Fatalf("read back %+v %v", got, err)
	}
}

// hexSHA256 is how the index holds a record's digest.
func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func beats(t *testing.T, ix headoffice.Index) {
	ctx := context.Background()
	ca, err := pki.LoadOrCreate(filepath.Join(t.TempDir(), "ca"), func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"K2", "K1"} {
		pub, _, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := ix.Enrol(ctx, packtest.Kiosk{ID: id, CertPEM: packtest.IssueDevice(t, ca, id, pub)}.Cert(t), at); err != nil {
			t.Fatal(err)
		}
	}
	if bs, err := ix.Beats(ctx); err != nil || len(bs) != 0 {
		t.Fatalf("beats before any: %+v %v", bs, err)
	}
	beat := func(pending int, camera string) heartbeat.Beat {
		return heartbeat.Beat{Version: "v1.2.3", ConfigHash: strings.Repeat("ab", 32), Pending: pending, Dead: 1,
			OldestPendingS: 3600, LastSync: at.Add(-time.Hour), Camera: camera, FreeDisk: 40 << 30, SentAt: at.Add(2 * time.Second)}
	}
	for _, b := range []headoffice.KioskBeat{
		{Kiosk: "K1", Beat: beat(3, heartbeat.CameraOK), ReceivedAt: at, OffsetMS: 2000},
		{Kiosk: "K2", Beat: beat(0, heartbeat.CameraIdle), ReceivedAt: at, OffsetMS: -10},
		{Kiosk: "K1", Beat: beat(5, heartbeat.CameraError), ReceivedAt: at.Add(heartbeat.Every), OffsetMS: 1500},
	} {
		if err := ix.RecordBeat(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.RecordBeat(ctx, headoffice.KioskBeat{Kiosk: "K9", Beat: beat(0, heartbeat.CameraOK), ReceivedAt: at}); err == nil {
		t.Error("a beat of a kiosk never enrolled was kept")
	}
	bs, err := ix.Beats(ctx)
	if err != nil || len(bs) != 2 || bs[0].Kiosk != "K1" || bs[1].Kiosk != "K2" {
		t.Fatalf("beats %+v %v", bs, err)
	}
	k1 := bs[0]
	if k1.Beats != 2 || !k1.ReceivedAt.Equal(at.Add(heartbeat.Every)) || k1.OffsetMS != 1500 || k1.Beat.Pending != 5 ||
		k1.Beat.Camera != heartbeat.CameraError || !k1.Beat.LastSync.Equal(at.Add(-time.Hour)) || !k1.Beat.SentAt.Equal(at.Add(2*time.Second)) ||
		k1.Beat.FreeDisk != 40<<30 || k1.Beat.ConfigHash != strings.Repeat("ab", 32) {
		t.Errorf("K1's newest beat %+v", k1)
	}
	if bs[1].Beats != 1 || bs[1].OffsetMS != -10 {
		t.Errorf("K2's beat %+v", bs[1])
	}
	// Silent after two beats missed, not after one.
	if k1.Silent(k1.ReceivedAt.Add(heartbeat.Every+time.Minute)) || !k1.Silent(k1.ReceivedAt.Add(heartbeat.SilentAfter+time.Second)) {
		t.Error("silent at the wrong time")
	}
}
