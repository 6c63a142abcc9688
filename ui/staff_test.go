package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/session"
)

const staffTestPIN = "482913"

// fakeStaff answers the menu with canned results and records calls.
type fakeStaff struct {
	mu       sync.Mutex
	status   OutboxStatus
	requeued int
	langs    []string
	exits    int
	pins     []string
	fail     error // SyncNow and RequeueDead fail with it when set
	// CameraTest's answer when set.
	camera *CameraReport
}

func (f *fakeStaff) VerifyPIN(pin string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pins = append(f.pins, pin)
	return pin == staffTestPIN
}

func (f *fakeStaff) Outbox(context.Context) (OutboxStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status, nil
}

func (f *fakeStaff) SyncNow(context.Context) (int, int, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return 0, 0, 0, f.fail
	}
	f.status.Delivered += 2
	f.status.Pending = 0
	return 2, 1, 0, nil
}

func (f *fakeStaff) RequeueDead(context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return 0, f.fail
	}
	n := f.status.Dead
	f.requeued += n
	f.status.Pending += n
	f.status.Dead = 0
	return n, nil
}

func (f *fakeStaff) CameraTest(_ context.Context, d time.Duration) CameraReport {
	if f.camera != nil {
		return *f.camera
	}
	return CameraReport{Frames: 89, FPS: 29.7, Width: 1280, Height: 720}
}

func (f *fakeStaff) Check(context.Context) []Connectivity {
	return []Connectivity{
		{Name: "provider", OK: true, Latency: 42 * time.Millisecond, Detail: "HTTP 404"},
		{Name: "head_office", OK: false, Detail: "connection refused"},
	}
}

func (f *fakeStaff) SetDefaultLang(lang string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.langs = append(f.langs, lang)
}

func (f *fakeStaff) Exit() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.exits++
}

type staffRig struct {
	*harness
	k     *fakeKiosk
	staff *fakeStaff
	clock *testClock
	l     loc
}

func newStaffRig(t *testing.T, lang string) *staffRig {
	t.Helper()
	k := newFakeKiosk()
	k.s.Lang, k.s.DefaultLang = lang, "kk"
	clock := &testClock{t: time.Date(2026, 11, 24, 18, 0, 0, 0, time.UTC)}
	fs := &fakeStaff{status: OutboxStatus{
		Pending: 3, Delivered: 17, Dead: 2,
		OldestPending: clock.t.Add(-2*time.Hour - 5*time.Minute),
		LastSuccess:   clock.t.Add(-26 * time.Hour), LastAttempt: clock.t.Add(-10 * time.Minute),
	}}
	h := newHarness(t, Options{Kiosk: k, Log: zerolog.Nop(), Now: clock.now,
		Staff: &StaffOptions{Staff: fs, LockAfter: time.Minute, MaxAttempts: 3, Lockout: 5 * time.Minute}})
	t.Cleanup(func() { h.u.staff.close() })
	return &staffRig{harness: h, k: k, staff: fs, clock: clock, l: h.u.cat.in(lang)}
}

// corner finds the gesture's target on screen.
func (r *staffRig) corner() *staffCorner {
	r.t.Helper()
	for _, o := range r.objects() {
		if c, ok := o.(*staffCorner); ok {
			return c
		}
	}
	r.t.Fatalf("no staff corner on screen (step %s)", r.u.state.Step)
	return nil
}

// press holds the corner for d on the injected clock.
func (r *staffRig) press(d time.Duration) {
	c := r.corner()
	c.MouseDown(&desktop.MouseEvent{})
	r.clock.advance(d)
	c.MouseUp(&desktop.MouseEvent{})
	r.q.drain()
}

// enter types pin on the staff keypad and confirms it.
func (r *staffRig) enter(pin string) {
	r.t.Helper()
	for _, d := range pin {
		r.tap(string(d))
	}
	r.tap(r.l.T("code.ok"))
	r.waitMenu(func() bool { return !r.u.staff.checking })
}

// waitMenu runs the UI until ok (goroutine results come back through the queue).
func (r *staffRig) waitMenu(ok func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.q.drain()
		if ok() {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out; texts: %q", r.texts())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (r *staffRig) unlock() {
	r.t.Helper()
	r.press(staffHold)
	r.enter(staffTestPIN)
	r.waitMenu(func() bool { return r.u.staff.unlocked && r.u.staff.busy == "" })
}

func (r *staffRig) idle() { r.waitMenu(func() bool { return r.u.staff.busy == "" }) }

func TestStaffGesture(t *testing.T) {
	r := newStaffRig(t, "kk")
	// Nothing of the menu shows to subscribers.
	if r.shows(r.l.T("staff.title")) {
		t.Fatal("staff menu visible on idle")
	}
	r.press(100 * time.Millisecond)
	if r.u.staff.shown() {
		t.Fatal("a short tap opened the staff PIN pad")
	}
	r.press(staffHold - time.Millisecond)
	if r.u.staff.shown() {
		t.Fatal("a press just under 3 s opened the PIN pad")
	}
	r.press(staffHold)
	if !r.u.staff.shown() || !r.shows(r.l.T("staff.pin_prompt")) {
		t.Fatalf("3 s press did not open the PIN pad: %q", r.texts())
	}
	r.tap(r.l.T("staff.close"))
	if r.u.staff.shown() {
		t.Fatal("close left the PIN pad up")
	}

	// The header of a running session has the corner too.
	r.k.startSession()
	r.q.drain()
	if r.u.state.Step == session.StepIdle {
		t.Fatal("session did not start")
	}
	r.press(staffHold)
	if !r.u.staff.shown() {
		t.Fatal("gesture in the header did not open the PIN pad")
	}
}

// The gesture's target is the screen's very corner (a finger pressed into
// it lands at a few pixels), shows the hold filling up, and opens the PIN
// pad once held long enough, before the finger lifts.
func TestStaffCornerHold(t *testing.T) {
	r := newStaffRig(t, "ru")
	for _, step := range []string{"idle", "session"} {
		if step == "session" {
			r.k.startSession()
			r.q.drain()
		}
		c := r.corner()
		at := fyne.CurrentApp().Driver().AbsolutePositionForObject(c)
		if at.X > 0 || at.Y > 0 || c.Size().Width < staffCornerW || c.Size().Height < staffCornerH {
			t.Fatalf("%s: the corner is %v at %v, want the top-left %d×%d from (0,0)", step, c.Size(), at, staffCornerW, staffCornerH)
		}
		// Nothing over it: a press at (5,5) reaches the corner.
		if top := topAt(r.win.Canvas(), fyne.NewPos(5, 5)); top != fyne.CanvasObject(c) {
			t.Fatalf("%s: at (5,5) the press reaches %T, not the staff corner", step, top)
		}
	}
	c := r.corner()
	c.MouseDown(&desktop.MouseEvent{})
	if c.progress() != 0 {
		t.Fatal("the hold shows before any time passed")
	}
	r.clock.advance(staffHold / 2)
	r.waitMenu(func() bool { return c.progress() > 0.4 })
	if r.u.staff.shown() {
		t.Fatal("the PIN pad opened halfway through the hold")
	}
	r.clock.advance(staffHold / 2)
	r.waitMenu(func() bool { return r.u.staff.shown() }) // still held: no MouseUp
	if c.progress() != 0 {
		t.Error("the hold's bar stays after the pad opened")
	}
	c.MouseUp(&desktop.MouseEvent{})
	r.q.drain()
	if !r.u.staff.shown() || !r.shows(r.u.loc().T("staff.pin_prompt")) { // in the session's language
		t.Fatalf("the PIN pad closed on release: %q", r.texts())
	}
}

// topAt is the tappable object a touch at pos reaches: the last one drawn
// there (overlays, then the content's later children over earlier ones).
func topAt(c fyne.Canvas, pos fyne.Position) fyne.CanvasObject {
	var hit fyne.CanvasObject
	var walk func(o fyne.CanvasObject, origin fyne.Position)
	walk = func(o fyne.CanvasObject, origin fyne.Position) {
		if o == nil || !o.Visible() {
			return
		}
		p := origin.Add(o.Position())
		end := p.Add(o.Size())
		if pos.X < p.X || pos.Y < p.Y || pos.X >= end.X || pos.Y >= end.Y {
			return
		}
		if _, ok := o.(fyne.Tappable); ok {
			hit = o
		}
		switch x := o.(type) {
		case *fyne.Container:
			for _, ch := range x.Objects {
				walk(ch, p)
			}
		case fyne.Widget:
			for _, ch := range test.WidgetRenderer(x).Objects() {
				walk(ch, p)
			}
		}
	}
	walk(c.Content(), fyne.Position{})
	for _, o := range c.Overlays().List() {
		walk(o, fyne.Position{})
	}
	return hit
}

// The PIN pad stays where it is while digits are typed, and "wrong PIN"
// goes with the next key.
func TestStaffPINPadStill(t *testing.T) {
	r := newStaffRig(t, "kk")
	r.win.Resize(fyne.NewSize(1920, 1080))
	r.press(staffHold)
	settleLayout(r.win.Canvas())
	one := func() fyne.Position {
		return fyne.CurrentApp().Driver().AbsolutePositionForObject(r.button("1"))
	}
	before := one()
	for range staffPINMax {
		r.tap("1")
		settleLayout(r.win.Canvas())
		if at := one(); at != before {
			t.Fatalf("after %d digits the keypad moved from %v to %v", len(r.u.staff.pin), before, at)
		}
	}
	r.tap(r.l.T("code.ok"))
	r.waitMenu(func() bool { return !r.u.staff.checking })
	wrong := r.l.T("staff.pin_wrong", "N", 2)
	if !r.shows(wrong) {
		t.Fatalf("no wrong-PIN message: %q", r.texts())
	}
	r.tap("2")
	if r.shows(wrong) {
		t.Fatal("the wrong-PIN message stays while the next PIN is typed")
	}
}

func TestStaffPINWrongThenLockout(t *testing.T) {
	for _, lang := range []string{"kk", "ru"} {
		t.Run(lang, func(t *testing.T) {
			r := newStaffRig(t, lang)
			r.press(staffHold)
			r.enter("1111")
			if want := r.l.T("staff.pin_wrong", "N", 2); !r.shows(want) {
				t.Fatalf("no %q: %q", want, r.texts())
			}
			// The digits are masked.
			r.tap("7")
			r.tap("7")
			r.tap("7")
			if r.shows("777") || !r.shows("●●●") {
				t.Fatalf("PIN not masked: %q", r.texts())
			}
			r.tap(r.l.T("keypad.clear"))
			r.enter("2222")
			r.enter("3333")
			until := r.clock.now().Add(5 * time.Minute).Format("15:04")
			if want := r.l.T("staff.pin_locked", "Time", until); !r.shows(want) {
				t.Fatalf("no lockout message %q: %q", want, r.texts())
			}
			if r.hasButton("1") {
				t.Fatal("keypad usable during the lockout")
			}
			// Closing and reopening does not reset the lockout.
			r.tap(r.l.T("staff.close"))
			r.clock.advance(4 * time.Minute)
			r.press(staffHold)
			if r.hasButton("1") {
				t.Fatal("lockout ended early")
			}
			// While the pad is up, the ticker brings the keypad back.
			r.clock.advance(time.Minute - time.Second)
			r.u.staff.checkLock()
			if !r.hasButton("1") {
				t.Fatalf("keypad not back after the lockout: %q", r.texts())
			}
			r.enter(staffTestPIN)
			r.waitMenu(func() bool { return r.u.staff.unlocked })
			if len(r.staff.pins) != 4 {
				t.Fatalf("PINs checked: %d, want 4", len(r.staff.pins))
			}
		})
	}
}

func TestStaffMenuActions(t *testing.T) {
	for _, lang := range []string{"kk", "ru"} {
		t.Run(lang, func(t *testing.T) {
			r := newStaffRig(t, lang)
			l := r.l
			r.unlock()
			for _, want := range []string{
				l.T("staff.title"),
				l.T("staff.outbox", "Pending", 3, "Delivered", 17, "Dead", 2),
				l.T("staff.oldest", "Age", l.T("staff.age_hour", "H", 2, "M", 5)),
				l.T("staff.last_sync", "When", l.T("staff.when", "Time", "23.11.2026 16:00", "Age", l.T("staff.age_day", "D", 1, "H", 2))),
			} {
				if !r.shows(want) {
					t.Errorf("menu does not show %q: %q", want, r.texts())
				}
			}
			if lang == "kk" && !r.shows("Қызметкер мәзірі") {
				t.Errorf("Kazakh title missing: %q", r.texts())
			}

			r.tap(l.T("staff.sync"))
			r.idle()
			if want := l.T("staff.sync_done", "Delivered", 2, "Failed", 1, "Dead", 0); !r.shows(want) {
				t.Errorf("no sync result %q: %q", want, r.texts())
			}

			r.tap(l.T("staff.requeue"))
			if want := l.T("staff.requeue_ask", "N", 2); !r.shows(want) {
				t.Errorf("no requeue confirmation %q: %q", want, r.texts())
			}
			r.tap(l.T("staff.yes"))
			r.idle()
			if want := l.T("staff.requeue_done", "N", 2); !r.shows(want) || r.staff.requeued != 2 {
				t.Errorf("requeue: %d requeued, texts %q", r.staff.requeued, r.texts())
			}
			if want := l.T("staff.outbox", "Pending", 2, "Delivered", 19, "Dead", 0); !r.shows(want) {
				t.Errorf("counts not refreshed after requeue: %q", r.texts())
			}

			r.tap(l.T("staff.camera"))
			r.idle()
			if want := l.T("staff.camera_ok", "FPS", "29.7", "W", 1280, "H", 720, "N", 89); !r.shows(want) {
				t.Errorf("no camera result %q: %q", want, r.texts())
			}

			r.tap(l.T("staff.check"))
			r.idle()
			for _, want := range []string{
				l.T("staff.conn_ok", "Name", l.T("staff.conn.provider"), "Ms", 42, "Detail", "HTTP 404"),
				l.T("staff.conn_down", "Name", l.T("staff.conn.head_office"), "Detail", "connection refused"),
			} {
				if !r.shows(want) {
					t.Errorf("no connectivity line %q: %q", want, r.texts())
				}
			}
			// Each result stays until its own action runs again: the
			// connection check leaves the camera test's and the sync's.
			for _, want := range []string{
				l.T("staff.camera_ok", "FPS", "29.7", "W", 1280, "H", 720, "N", 89),
				l.T("staff.sync_done", "Delivered", 2, "Failed", 1, "Dead", 0),
			} {
				if !r.shows(want) {
					t.Errorf("the connection check erased %q: %q", want, r.texts())
				}
			}

			// The language of new sessions: the current one marked.
			if b := r.button(l.T("lang.kk")); b.Importance != widget.HighImportance {
				t.Errorf("the current default language kk is not marked")
			}
			r.tap(l.T("lang.ru"))
			if len(r.staff.langs) != 1 || r.staff.langs[0] != "ru" || !r.shows(l.T("staff.lang_set", "Lang", l.T("lang.ru"))) {
				t.Errorf("default language: %v, texts %q", r.staff.langs, r.texts())
			}
			if r.button(l.T("lang.ru")).Importance != widget.HighImportance || r.button(l.T("lang.kk")).Importance == widget.HighImportance {
				t.Errorf("after choosing ru, ru is not the one marked")
			}

			// Exit asks first; "no" keeps the kiosk running.
			r.tap(l.T("staff.exit"))
			if !r.shows(l.T("staff.exit_ask")) {
				t.Fatalf("no exit confirmation: %q", r.texts())
			}
			r.tap(l.T("staff.no"))
			if r.staff.exits != 0 || !r.u.staff.shown() {
				t.Fatal("exit without a yes")
			}
			r.tap(l.T("staff.exit"))
			r.tap(l.T("staff.yes"))
			if r.staff.exits != 1 || r.u.staff.shown() {
				t.Fatalf("exit: %d calls, menu shown %v", r.staff.exits, r.u.staff.shown())
			}
		})
	}
}

func TestStaffAutoLock(t *testing.T) {
	r := newStaffRig(t, "kk")
	r.unlock()
	r.clock.advance(59 * time.Second)
	r.u.staff.checkLock()
	if !r.u.staff.shown() {
		t.Fatal("locked before a minute")
	}
	r.tap(r.l.T("staff.check")) // a touch restarts the minute
	r.idle()
	r.clock.advance(59 * time.Second)
	r.u.staff.checkLock()
	if !r.u.staff.shown() {
		t.Fatal("a touch did not restart the lock timer")
	}
	r.clock.advance(time.Second)
	r.u.staff.checkLock()
	if r.u.staff.shown() || r.shows(r.l.T("staff.title")) {
		t.Fatal("menu still up after 60 s untouched")
	}
	// Locked means locked: the gesture asks for the PIN again.
	r.press(staffHold)
	if r.u.staff.unlocked || !r.shows(r.l.T("staff.pin_prompt")) {
		t.Fatal("reopened without the PIN")
	}
	// The PIN pad locks the same way.
	r.clock.advance(time.Minute)
	r.u.staff.checkLock()
	if r.u.staff.shown() {
		t.Fatal("PIN pad still up after 60 s untouched")
	}
}

// The PIN must never reach the log.
func TestStaffPINNotLogged(t *testing.T) {
	var buf strings.Builder
	r := newStaffRig(t, "en")
	r.u.log = zerolog.New(&buf)
	r.press(staffHold)
	r.enter("975310")
	r.enter(staffTestPIN)
	r.waitMenu(func() bool { return r.u.staff.unlocked })
	log := buf.String()
	if !strings.Contains(log, "staff PIN wrong") || !strings.Contains(log, "staff menu opened") {
		t.Fatalf("log: %s", log)
	}
	for _, pin := range []string{"975310", staffTestPIN} {
		if strings.Contains(log, pin) {
			t.Fatalf("PIN %s in the log: %s", pin, log)
		}
	}
}

// TestConnLine: each way a peer can answer reads differently, in every
// language, and a refusal tells staff what to check.
func TestConnLine(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		c    Connectivity
		want string
	}{
		{Connectivity{Name: "provider", OK: true, Latency: 7 * time.Millisecond, Detail: "HTTP 405", Key: KeyAccepted}, "staff.conn_accepted"},
		{Connectivity{Name: "provider", OK: false, Detail: "HTTP 401 Unauthorized", Key: KeyRefused}, "staff.conn_refused"},
		{Connectivity{Name: "head_office", OK: true, Latency: 3 * time.Millisecond, Detail: "HTTP 204"}, "staff.conn_ok"},
		{Connectivity{Name: "head_office", Detail: "connection refused"}, "staff.conn_down"},
	}
	for _, lang := range languages {
		l := cat.in(lang)
		seen := map[string]bool{}
		for _, c := range cases {
			got := connLine(l, c.c)
			want := l.T(c.want, "Name", l.T("staff.conn."+c.c.Name), "Ms", c.c.Latency.Milliseconds(), "Detail", c.c.Detail)
			if got != want || seen[got] {
				t.Errorf("%s %+v: %q, want %q", lang, c.c, got, want)
			}
			seen[got] = true
		}
	}
}

// TestStaffOutboxActionFails: a failing sync or requeue says which, with
// the reason, and the counts stay on screen, unchanged.
func TestStaffOutboxActionFails(t *testing.T) {
	r := newStaffRig(t, "ru")
	r.unlock()
	l := r.l
	r.staff.mu.Lock()
	r.staff.fail = errors.New("database is locked")
	r.staff.mu.Unlock()
	counts := l.T("staff.outbox", "Pending", 3, "Delivered", 17, "Dead", 2)

	r.tap(l.T("staff.sync"))
	r.idle()
	if want := l.T("staff.sync_failed", "Err", "database is locked"); !r.shows(want) || !r.shows(counts) {
		t.Errorf("failed sync: want %q and %q, texts %q", want, counts, r.texts())
	}
	r.tap(l.T("staff.requeue"))
	r.tap(l.T("staff.yes"))
	r.idle()
	if want := l.T("staff.requeue_failed", "Err", "database is locked"); !r.shows(want) || !r.shows(counts) || r.staff.requeued != 0 {
		t.Errorf("failed requeue: want %q and %q, %d requeued, texts %q", want, counts, r.staff.requeued, r.texts())
	}
}
