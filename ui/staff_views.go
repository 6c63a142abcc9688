package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Staff targets are at least this tall: fingers, not a mouse.
const staffButtonH = 72

// render rebuilds the staff layer's view from the menu's state.
func (m *staffMenu) render() {
	if m.root == nil {
		return
	}
	l := m.u.loc()
	var view fyne.CanvasObject
	switch {
	case !m.unlocked:
		view = m.pinView(l)
	case m.confirm != "":
		view = m.confirmView(l)
	default:
		view = m.menuView(l)
	}
	m.root.Objects = []fyne.CanvasObject{container.NewPadded(view)}
	m.root.Refresh()
}

// pinView is the PIN pad: the prompt, masked digits and what went wrong,
// with the keypad beside them on a landscape screen (one column would not
// fit 800 px) and below them on a portrait one.
func (m *staffMenu) pinView(l loc) fyne.CanvasObject {
	m.shownLocked = m.locked()
	msg := errorLabel()
	left := []fyne.CanvasObject{title(l.T("staff.title")), subtitle(l.T("staff.pin_prompt"))}
	right := []fyne.CanvasObject{}
	if m.shownLocked {
		setText(msg, l.T("staff.pin_locked", "Time", m.lockedUntil.Format("15:04")))
		left = append(left, msg)
	} else {
		if m.checking {
			setText(msg, l.T("staff.pin_checking"))
		} else {
			setText(msg, m.pinMsg)
		}
		dots := bigText(strings.Repeat("●", len(m.pin))+" ", 48)
		dots.Alignment = fyne.TextAlignLeading // under the prompt, where the eye is
		// As wide as the longest PIN from the start: the pad beside it
		// must not move while digits are typed.
		full := fyne.MeasureText(strings.Repeat("●", staffPINMax)+" ", dots.TextSize, dots.TextStyle)
		left = append(left, sized(container.NewPadded(dots), full.Width+2*theme.Padding(), 0), msg)
		pad := newKeypad(l, m.digit, m.back, m.clearPIN, m.submit)
		if m.checking {
			pad.ok.Disable()
		}
		right = append(right, pad.obj)
	}
	right = append(right, sized(button(l.T("staff.close"), false, m.close), 3*keypadW, staffButtonH))
	return wideRow(nil, -1, container.NewVBox(left...), container.NewCenter(container.NewVBox(right...)))
}

// menuView is the menu: what the outbox holds and the last results on the
// left, the actions on the right.
func (m *staffMenu) menuView(l loc) fyne.CanvasObject {
	info := m.statusLines(l)
	if m.busy != "" {
		info = append(info, subtitle(l.T("staff.working")))
	}
	for _, action := range resultOrder {
		if r := m.results[action]; r != "" {
			info = append(info, subtitle(r))
		}
	}
	for _, c := range m.conns {
		info = append(info, para(connLine(l, c)))
	}

	act := func(key string, primary bool, fn func()) fyne.CanvasObject {
		b := button(l.T(key), primary, fn)
		if m.busy != "" {
			b.Disable()
		}
		return sized(b, 0, staffButtonH)
	}
	langs := make([]fyne.CanvasObject, 0, len(languages))
	for _, code := range languages {
		// The language new sessions start in is marked.
		langs = append(langs, sized(button(l.T("lang."+code), code == m.lang, func() { m.setLang(code) }), 0, staffButtonH))
	}
	exit := button(l.T("staff.exit"), false, func() { m.ask("exit") })
	exit.Importance = widget.DangerImportance
	if m.busy != "" {
		exit.Disable()
	}
	actions := container.NewVBox(
		act("staff.sync", true, m.syncNow),
		act("staff.requeue", false, func() { m.ask("requeue") }),
		act("staff.camera", false, m.cameraTest),
		act("staff.check", false, m.check),
		widget.NewLabel(l.T("staff.lang")),
		container.NewGridWithColumns(len(langs), langs...),
		widget.NewSeparator(),
		container.NewGridWithColumns(2, sized(exit, 0, staffButtonH), sized(button(l.T("staff.close"), true, m.close), 0, staffButtonH)),
	)
	// Side by side on a landscape screen; on a portrait one the status on
	// top (taking the spare height) and the actions below. Padded: the
	// buttons keep the margin the labels have inside them. The weights give
	// the status about half the width (the actions have the wider minimum).
	body := wideRow([]float32{2, 1}, 0, container.NewVScroll(container.NewVBox(info...)), container.NewPadded(actions))
	return container.NewBorder(title(l.T("staff.title")), nil, nil, nil, body)
}

// statusLines are the outbox counts and the sync times.
func (m *staffMenu) statusLines(l loc) []fyne.CanvasObject {
	st := m.status
	if st == nil {
		return nil
	}
	now := m.u.now()
	oldest := l.T("staff.oldest_none")
	if !st.OldestPending.IsZero() {
		oldest = l.T("staff.oldest", "Age", age(l, now.Sub(st.OldestPending)))
	}
	return []fyne.CanvasObject{
		subtitle(l.T("staff.outbox", "Pending", st.Pending, "Delivered", st.Delivered, "Dead", st.Dead)),
		para(oldest),
		para(l.T("staff.last_sync", "When", when(l, now, st.LastSuccess))),
		para(l.T("staff.last_attempt", "When", when(l, now, st.LastAttempt))),
	}
}

// confirmView asks before requeueing or exiting.
func (m *staffMenu) confirmView(l loc) fyne.CanvasObject {
	q := l.T("staff.exit_ask")
	if m.confirm == "requeue" {
		n := 0
		if m.status != nil {
			n = m.status.Dead
		}
		q = l.T("staff.requeue_ask", "N", n)
	}
	no := sized(button(l.T("staff.no"), true, func() { m.answer(false) }), 0, staffButtonH)
	yes := button(l.T("staff.yes"), false, func() { m.answer(true) })
	yes.Importance = widget.DangerImportance
	return container.NewCenter(box(l.T("staff.title"), q, container.NewGridWithColumns(2, no, sized(yes, 0, staffButtonH))))
}

// connLine is one peer's reachability in words.
func connLine(l loc, c Connectivity) string {
	name := l.T("staff.conn." + c.Name)
	switch {
	case c.Key == KeyRefused:
		return l.T("staff.conn_refused", "Name", name, "Detail", c.Detail)
	case c.OK && c.Key == KeyAccepted:
		return l.T("staff.conn_accepted", "Name", name, "Ms", c.Latency.Milliseconds())
	case c.OK:
		return l.T("staff.conn_ok", "Name", name, "Ms", c.Latency.Milliseconds(), "Detail", c.Detail)
	}
	return l.T("staff.conn_down", "Name", name, "Detail", c.Detail)
}

// when is a past moment as clock time and age, or "never".
func when(l loc, now, t time.Time) string {
	if t.IsZero() {
		return l.T("staff.never")
	}
	return l.T("staff.when", "Time", t.In(now.Location()).Format("02.01.2006 15:04"), "Age", age(l, now.Sub(t)))
}

// age is a duration to the minute, in days and hours when long.
func age(l loc, d time.Duration) string {
	d = max(d, 0)
	mins := int(d / time.Minute)
	switch {
	case mins < 60:
		return l.T("staff.age_min", "M", mins)
	case mins < 24*60:
		return l.T("staff.age_hour", "H", mins/60, "M", mins%60)
	default:
		return l.T("staff.age_day", "D", mins/(24*60), "H", mins/60%24)
	}
}

// formatFPS keeps one decimal: 29.7 fps says more than 30.
func formatFPS(f float64) string { return fmt.Sprintf("%.1f", f) }
