package uploader_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/kiosk/kiosktest"
	"almatel.kz/signkiosk/app/logging"
	"almatel.kz/signkiosk/app/logging/logtest"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/assets"
	"almatel.kz/signkiosk/sync/headoffice"
	"almatel.kz/signkiosk/sync/outbox"
	"almatel.kz/signkiosk/sync/pki"
	"almatel.kz/signkiosk/sync/uploader"
)

// The whole path of a failed session: a kiosk session fails biometrics
// five times (the simulator's no-match IIN) and ends; its signed record is
// in the outbox; a sync delivers it over mTLS to the real head office,
// which checks it and lists it; nothing on the way holds the subscriber's
// data.
func TestFailedSessionReachesHeadOffice(t *testing.T) {
	ctx := context.Background()
	g := kiosktest.New(t, kiosktest.Options{Outbox: true})

	// Head office, with the rig's kiosk CA as its kiosk CA and the rig's
	// kiosk enrolled.
	dir := t.TempDir()
	index, err := headoffice.OpenIndex(ctx, filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { index.Close() })
	dev, _, err := pack.ParseDeviceCert(g.DeviceCert)
	if err != nil {
		t.Fatal(err)
	}
	if err := index.Enrol(ctx, dev, time.Now()); err != nil {
		t.Fatal(err)
	}
	hoLog := &logtest.Buffer{}
	ho, err := headoffice.New(headoffice.Config{Storage: &headoffice.FileStorage{Dir: filepath.Join(dir, "packages")},
		Index: index, Log: logging.New(hoLog, zerolog.DebugLevel), LinkKey: []byte("0123456789abcdef0123456789abcdef"),
		Roots: x509.NewCertPool(), KioskRoots: g.KioskCA.CAPool})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(ho.Handler())
	srv.TLS = ho.TLSConfig(pki.ServerTLS(g.KioskCA))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	cert, key, err := g.KioskCA.ClientCert(filepath.Join(dir, "kiosk"), kiosktest.KioskID)
	if err != nil {
		t.Fatal(err)
	}
	tlsCfg, err := pki.ClientTLS(g.KioskCA.CAPath(), cert, key)
	if err != nil {
		t.Fatal(err)
	}

	// The session.
	o := ticket.DemoOrder()
	o.Subscriber.IIN = sim.TriggerIINNoMatch
	r := g.Runner
	r.Scan(g.Ticket(t, o))
	wait(t, r, "welcome", func(s session.State) bool { return s.Step == session.StepWelcome })
	r.Dispatch(session.Begin{})
	wait(t, r, "code", func(s session.State) bool { return s.Step == session.StepCode && s.Busy == session.OpNone })
	code, ok := g.Sim.LastCode(r.State().ProviderSession)
	if !ok {
		t.Fatal("no SMS code")
	}
	r.Dispatch(session.CodeEntered{Code: code})
	wait(t, r, "review", func(s session.State) bool { return s.Step == session.StepReview && s.Busy == session.OpNone })
	r.Dispatch(session.ReviewAccepted{})
	wait(t, r, "privacy", func(s session.State) bool { return s.Step == session.StepPrivacy })
	sum, err := assets.TextSHA256(r.State().Lang, "privacy")
	if err != nil {
		t.Fatal(err)
	}
	r.Dispatch(session.ConsentAccepted{Kind: provider.ConsentPrivacy, TextSHA256: sum})
	wait(t, r, "biometrics", func(s session.State) bool { return s.Step == session.StepBiometrics && s.Busy == session.OpNone })
	for i := 0; i < 5; i++ {
		r.Dispatch(session.CaptureStart{})
		wait(t, r, "attempt judged", func(s session.State) bool {
			return (s.Step == session.StepBiometrics && s.Busy == session.OpNone && s.BioAttemptsLeft == 4-i) || s.Step == session.StepEnded
		})
	}
	if s := r.State(); s.Step != session.StepEnded || s.Reason != session.ReasonBiometricFailed {
		t.Fatalf("ended: step %v reason %q", s.Step, s.Reason)
	}

	// In the outbox, then delivered by a sync run.
	var id string
	deadline := time.Now().Add(15 * time.Second)
	for id == "" {
		items, err := g.Outbox.List(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if it.Kind == outbox.KindFailedSession && it.State == outbox.Pending {
				id = it.ID
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no failed-session record in the outbox")
		}
		time.Sleep(5 * time.Millisecond)
	}
	body, err := g.Outbox.Payload(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	up := uploader.New(uploader.Config{Queue: uploader.FromOutbox(g.Outbox), Client: uploader.NewClient(tlsCfg, 1),
		BaseURL: srv.URL, Log: g.Logger})
	rep, err := up.RunOnce(ctx)
	if err != nil || rep.Delivered != 1 || rep.Dead != 0 || rep.Failed != 0 {
		t.Fatalf("sync: %+v %v\n%s", rep, err, hoLog.String())
	}
	items, err := g.Outbox.List(ctx, 0)
	if err != nil || len(items) != 1 || items[0].State != outbox.Delivered {
		t.Fatalf("outbox after sync: %+v %v", items, err)
	}
	if rep, err := up.RunOnce(ctx); err != nil || rep.Delivered != 0 {
		t.Fatalf("a second sync: %+v %v", rep, err)
	}

	// Head office lists it, as signed.
	held, err := index.FailedSessions(ctx, headoffice.FailedFilter{Office: kiosktest.Office})
	if err != nil || len(held) != 1 {
		t.Fatalf("head office holds %d (%v)", len(held), err)
	}
	f := held[0]
	if f.RecordID != id || f.Reason != "biometric_failed" || f.Step != "biometrics" || f.Kiosk != kiosktest.KioskID ||
		len(f.Biometrics) != 5 || f.OrderID != o.ID || !bytes.Equal(f.Body, body) {
		t.Fatalf("held: %+v", f.Record)
	}

	// No trace of the subscriber: the kiosk's log and head office's, the
	// record, head office's index files.
	files, _ := filepath.Glob(filepath.Join(dir, "index.db") + "*")
	var disk []byte
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		disk = append(disk, b...)
	}
	sub := o.Subscriber
	for name, v := range map[string]string{"IIN": sub.IIN, "surname": sub.Surname, "given name": sub.Given,
		"patronymic": sub.Patronymic, "phone": sub.Phone, "address": o.Address} {
		for where, text := range map[string]string{"the kiosk's log": g.Log.String(), "head office's log": hoLog.String(),
			"the record": string(body), "head office's index": string(disk)} {
			if strings.Contains(text, v) {
				t.Errorf("%s holds the %s", where, name)
			}
		}
	}
	if !strings.Contains(hoLog.String(), "failed session recorded") {
		t.Errorf("head office did not log the record:\n%s", hoLog.String())
	}
}

func wait(t *testing.T, r interface{ State() session.State }, what string, ok func(session.State) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // an attempt under the race detector on two cores takes seconds
	for !ok(r.State()) {
		if time.Now().After(deadline) {
			s := r.State()
			t.Fatalf("timed out waiting for %s: step %v busy %v err %q reason %q", what, s.Step, s.Busy, s.Err, s.Reason)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
