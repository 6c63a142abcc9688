package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"almatel.kz/signkiosk/app/kiosk/kiosktest"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/ticket"
)

// The kiosk's disk fills while it waits for a ticket (SQLite's page limit
// on its one-connection database): the idle screen says so in the chosen
// language with what staff must do, a ticket starts no session, and when
// there is room again the message goes and the next ticket starts one.
func TestIdleSaysDiskFull(t *testing.T) {
	clk := kiosktest.NewClock()
	f := newFailRig(t, kiosktest.Options{OneConn: true, Now: clk.Now}, ticket.DemoOrder())
	db := f.rig.DB
	var pages int
	db.QueryRow(`PRAGMA page_count`).Scan(&pages)
	if _, err := db.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages)); err != nil {
		t.Fatal(err)
	}
	clk.Add(31 * time.Second) // the kiosk looks at its database every 30 s
	f.waitFor("disk full seen", func(s session.State) bool { return s.Storage == session.ErrStorageDiskFull })
	for _, lang := range []string{"kk", "ru", "en"} {
		f.tap(f.u.loc().T("lang." + lang))
		f.waitFor("language "+lang, func(s session.State) bool { return s.Lang == lang })
		if want := f.u.cat.in(lang).Err(session.ErrStorageDiskFull); !f.shows(want) {
			t.Fatalf("%s idle screen does not say %q: %q", lang, want, f.texts())
		}
	}
	f.tap(f.u.loc().T("idle.demo"))
	f.waitFor("ticket refused", func(s session.State) bool { return s.Err == session.ErrStorageDiskFull })
	if f.u.state.Step != session.StepIdle {
		t.Fatalf("a session started on a full disk: %v", f.u.state.Step)
	}

	if _, err := db.Exec(`PRAGMA max_page_count = 1073741823`); err != nil {
		t.Fatal(err)
	}
	clk.Add(31 * time.Second)
	f.waitFor("room seen", func(s session.State) bool { return s.Storage == "" && s.Err == "" })
	if msg := f.u.cat.in("en").Err(session.ErrStorageDiskFull); f.shows(msg) {
		t.Fatal("the disk-full message stays after the disk has room")
	}
	f.tap(f.u.loc().T("idle.demo"))
	f.settle(session.StepWelcome)
}

// Each storage fault has its own out-of-service message, in all three
// languages at once, with what staff must do.
func TestOutOfServiceNamesEachStorageFault(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, reason := range []string{"oos.database", "oos.readonly", "oos.disk_full", "oos.missing"} {
		fyne.SetCurrentApp(harnessApp())
		w := test.NewTempWindow(t, nil)
		if err := OutOfService(w, reason); err != nil {
			t.Fatal(err)
		}
		all := windowTexts(w)
		for _, lang := range languages {
			msg := cat.in(lang).T(reason)
			if msg == reason || !strings.Contains(all, msg) {
				t.Errorf("%s: no %s message on screen: %s", reason, lang, all)
			}
			if other, dup := seen[lang+msg]; dup {
				t.Errorf("%s says the same as %s in %s", reason, other, lang)
			}
			seen[lang+msg] = reason
		}
		if reason != "oos.database" && strings.Contains(cat.in("en").T(reason), "damaged") {
			t.Errorf("%s calls an intact database damaged", reason)
		}
	}
}
