package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// staffMenu is the PIN pad and the staff menu: one full-screen modal layer
// whose view is rebuilt from the fields below at every change. Its fields
// are touched on the UI thread only; blocking calls run on goroutines and
// come back through u.do.
type staffMenu struct {
	u    *UI
	opts StaffOptions

	// Kept across openings for the whole run: closing the pad must not
	// reset the count of wrong PINs.
	fails       int
	lockedUntil time.Time

	pop       *widget.PopUp
	root      *fyne.Container
	ctx       context.Context
	cancel    context.CancelFunc // ends the lock ticker and running actions
	gen       int                // bumped at each close: late results are dropped
	lastTouch time.Time

	unlocked bool   // PIN accepted: the menu, not the pad
	pin      []rune // typed digits (wiped at every close)
	pinMsg   string
	checking bool
	// shownLocked is whether the pad on screen shows the lockout, so the
	// ticker can bring the keypad back when it ends.
	shownLocked bool
	confirm     string // "requeue" | "exit" while asking
	busy        string // the action running
	status      *OutboxStatus
	// results holds each action's last outcome (by action name): one
	// action's rerun replaces its own line, never another's.
	results map[string]string
	conns   []Connectivity // the last connection check
	lang    string         // the default language, as last set here or read
}

// resultOrder is the order the actions' outcomes are listed in.
var resultOrder = []string{"status", "sync", "requeue", "camera", "lang"}

// initStaff turns the staff menu on when opts ask for it.
func (u *UI) initStaff(opts *StaffOptions) {
	if opts == nil || opts.Staff == nil {
		return
	}
	o := *opts
	if o.LockAfter <= 0 {
		o.LockAfter = 60 * time.Second
	}
	if o.MaxAttempts < 1 {
		o.MaxAttempts = 5
	}
	if o.Lockout <= 0 {
		o.Lockout = 5 * time.Minute
	}
	u.staff = &staffMenu{u: u, opts: o}
}

// openStaff answers the gesture; without a staff menu it does nothing.
func (u *UI) openStaff() {
	if u.staff != nil {
		u.staff.open()
	}
}

func (m *staffMenu) open() {
	if m.pop != nil {
		return
	}
	m.gen++
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.lastTouch = m.u.now()
	m.lang = m.u.k.State().DefaultLang
	m.root = container.NewStack()
	c := m.u.win.Canvas()
	m.pop = widget.NewModalPopUp(m.root, c)
	m.render()
	m.pop.Resize(c.Size())
	m.pop.Show()
	go m.u.everySecond(m.ctx, m.checkLock) // the auto-lock
}

// close locks the menu: the next opening asks for the PIN again.
func (m *staffMenu) close() {
	if m.pop == nil {
		return
	}
	m.cancel()
	m.pop.Hide()
	m.pop, m.root = nil, nil
	m.gen++
	clear(m.pin)
	m.pin, m.pinMsg, m.checking, m.unlocked = nil, "", false, false
	m.confirm, m.busy, m.status, m.results, m.conns = "", "", nil, nil, nil
}

// shown reports whether the PIN pad or the menu is up (for tests).
func (m *staffMenu) shown() bool { return m != nil && m.pop != nil }

// checkLock closes the menu after LockAfter without a touch. A running
// action counts as a touch: staff are waiting for its result.
func (m *staffMenu) checkLock() {
	if m.pop == nil || m.busy != "" || m.checking {
		return
	}
	if m.u.now().Sub(m.lastTouch) >= m.opts.LockAfter {
		m.u.log.Info().Msg("staff menu locked after inactivity")
		m.close()
		return
	}
	if !m.unlocked && m.shownLocked && !m.locked() {
		m.render()
	}
}

// poke records a touch on the menu.
func (m *staffMenu) poke() { m.lastTouch = m.u.now() }

// locked reports whether wrong PINs have locked the pad now.
func (m *staffMenu) locked() bool { return m.u.now().Before(m.lockedUntil) }

func (m *staffMenu) digit(r rune) {
	m.poke()
	if len(m.pin) < staffPINMax && !m.checking && !m.locked() {
		m.pin = append(m.pin, r)
		m.pinMsg = "" // "wrong PIN" was about the last one
		m.render()
	}
}

func (m *staffMenu) back() {
	m.poke()
	if n := len(m.pin); n > 0 && !m.checking {
		m.pin[n-1] = 0
		m.pin = m.pin[:n-1]
		m.pinMsg = ""
		m.render()
	}
}

func (m *staffMenu) clearPIN() {
	m.poke()
	if !m.checking {
		clear(m.pin)
		m.pin = m.pin[:0]
		m.pinMsg = ""
		m.render()
	}
}

// submit checks the typed PIN off the UI thread (the hash is slow on
// purpose). The PIN is never logged.
func (m *staffMenu) submit() {
	m.poke()
	if len(m.pin) == 0 || m.checking || m.locked() {
		return
	}
	pin := string(m.pin)
	clear(m.pin)
	m.pin = m.pin[:0]
	m.checking = true
	m.render()
	gen, staff := m.gen, m.opts.Staff
	go func() {
		ok := staff.VerifyPIN(pin)
		m.u.do(func() {
			if gen != m.gen {
				return
			}
			m.checking = false
			m.verified(ok)
		})
	}()
}

func (m *staffMenu) verified(ok bool) {
	m.poke()
	l := m.u.loc()
	if ok {
		m.fails, m.unlocked, m.pinMsg = 0, true, ""
		m.u.log.Info().Msg("staff menu opened")
		m.render()
		m.refreshStatus()
		return
	}
	m.fails++
	left := m.opts.MaxAttempts - m.fails
	m.u.log.Warn().Int("attempts_left", max(left, 0)).Msg("staff PIN wrong")
	if left <= 0 {
		m.fails = 0
		m.lockedUntil = m.u.now().Add(m.opts.Lockout)
		m.u.log.Warn().Time("until", m.lockedUntil).Msg("staff PIN locked out")
	} else {
		m.pinMsg = l.T("staff.pin_wrong", "N", left)
	}
	m.render()
}

// run does one menu action off the UI thread: work runs on a goroutine and
// returns what to apply on the UI thread when it is done.
func (m *staffMenu) run(action string, work func(ctx context.Context) func()) {
	m.poke()
	if m.busy != "" {
		return
	}
	m.busy, m.confirm = action, ""
	delete(m.results, action)
	if action == "check" {
		m.conns = nil
	}
	m.render()
	ctx, gen := m.ctx, m.gen
	go func() {
		apply := work(ctx)
		m.u.do(func() {
			if gen != m.gen {
				return
			}
			m.busy = ""
			m.poke()
			apply()
			m.render()
		})
	}()
}

// refreshStatus reads the outbox counts.
func (m *staffMenu) refreshStatus() {
	staff := m.opts.Staff
	m.run("status", func(ctx context.Context) func() {
		st, err := staff.Outbox(ctx)
		return func() { m.setStatus(st, err) }
	})
}

func (m *staffMenu) setStatus(st OutboxStatus, err error) {
	if err != nil {
		m.status = nil
		m.setResult("status", m.u.loc().T("staff.status_error", "Err", err.Error()))
		return
	}
	m.status = &st
}

func (m *staffMenu) syncNow() {
	staff := m.opts.Staff
	m.u.log.Info().Msg("staff: sync now")
	m.changeOutbox("sync", "staff.sync_failed", func(ctx context.Context) (func(loc) string, error) {
		delivered, failed, dead, err := staff.SyncNow(ctx)
		return func(l loc) string {
			return l.T("staff.sync_done", "Delivered", delivered, "Failed", failed, "Dead", dead)
		}, err
	})
}

func (m *staffMenu) requeue() {
	staff := m.opts.Staff
	m.u.log.Info().Msg("staff: requeue dead letters")
	m.changeOutbox("requeue", "staff.requeue_failed", func(ctx context.Context) (func(loc) string, error) {
		n, err := staff.RequeueDead(ctx)
		return func(l loc) string { return l.T("staff.requeue_done", "N", n) }, err
	})
}

// changeOutbox runs an action that changes the outbox, then shows its
// outcome (done's words, or failedKey with the error) and the fresh counts.
func (m *staffMenu) changeOutbox(action, failedKey string, work func(ctx context.Context) (done func(loc) string, err error)) {
	staff := m.opts.Staff
	m.run(action, func(ctx context.Context) func() {
		done, err := work(ctx)
		st, stErr := staff.Outbox(ctx)
		return func() {
			l := m.u.loc()
			if err != nil {
				m.setResult(action, l.T(failedKey, "Err", err.Error()))
			} else {
				m.setResult(action, done(l))
			}
			if stErr == nil {
				m.status = &st
			}
		}
	})
}

func (m *staffMenu) cameraTest() {
	staff := m.opts.Staff
	m.run("camera", func(ctx context.Context) func() {
		r := staff.CameraTest(ctx, staffCameraTest)
		return func() {
			l := m.u.loc()
			var res string
			switch {
			case refusal(r.Err) != nil:
				res = l.cameraRefused(r.Err)
			case r.Code != "":
				res = l.Err(r.Code)
			case r.Err != nil:
				res = l.T("staff.camera_failed", "Err", r.Err.Error())
			case r.Frames == 0:
				res = l.T("staff.camera_none")
			default:
				res = l.T("staff.camera_ok", "FPS", formatFPS(r.FPS), "W", r.Width, "H", r.Height, "N", r.Frames)
			}
			m.setResult("camera", res)
		}
	})
}

func (m *staffMenu) check() {
	staff := m.opts.Staff
	m.run("check", func(ctx context.Context) func() {
		conns := staff.Check(ctx)
		return func() { m.conns = conns }
	})
}

func (m *staffMenu) setLang(lang string) {
	m.poke()
	m.opts.Staff.SetDefaultLang(lang)
	m.u.log.Info().Str("lang", lang).Msg("staff: default language")
	l := m.u.loc()
	m.lang = lang
	m.setResult("lang", l.T("staff.lang_set", "Lang", l.T("lang."+lang)))
	m.render()
}

// setResult records action's outcome.
func (m *staffMenu) setResult(action, text string) {
	if m.results == nil {
		m.results = make(map[string]string)
	}
	m.results[action] = text
}

func (m *staffMenu) ask(what string) {
	m.poke()
	if m.busy == "" {
		m.confirm = what
		m.render()
	}
}

func (m *staffMenu) answer(yes bool) {
	m.poke()
	what := m.confirm
	m.confirm = ""
	if !yes {
		m.render()
		return
	}
	switch what {
	case "requeue":
		m.requeue()
	case "exit":
		m.u.log.Info().Msg("staff: exit kiosk")
		m.close()
		m.opts.Staff.Exit()
	}
}
