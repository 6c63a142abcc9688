package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/session"
)

// passwordScreen has the subscriber create the EDS password twice on the
// on-screen keyboard, with the rule as a live checklist.
type passwordScreen struct {
	u       *UI
	l       loc
	obj     fyne.CanvasObject
	fields  [2]*secretField
	checks  []check
	reveal  *widget.Button
	create  *widget.Button
	errLbl  *widget.Label
	explain *widget.Label // the advice, in the error's place when none shows
}

// check is one line of the checklist.
type check struct {
	icon  *widget.Icon
	label *widget.Label
	ok    func(session.PasswordChecks, bool) bool
}

func newPasswordScreen(u *UI, s session.State, l loc) *passwordScreen {
	ps := &passwordScreen{u: u, l: l, errLbl: errorLabel()}
	for i, key := range []string{"password.field1", "password.field2"} {
		ps.fields[i] = newSecretField(l.T(key), func() { ps.u.touch(); ps.u.input.active = i; ps.show() })
	}
	ps.checks = []check{
		ps.line(l.T("password.rule_length", "N", provider.PasswordMinLen), func(c session.PasswordChecks, _ bool) bool { return c.Length }),
		ps.line(l.T("password.rule_letter"), func(c session.PasswordChecks, _ bool) bool { return c.Letter }),
		ps.line(l.T("password.rule_digit"), func(c session.PasswordChecks, _ bool) bool { return c.Digit }),
		ps.line(l.T("password.rule_special", "S", provider.PasswordSpecials), func(c session.PasswordChecks, _ bool) bool { return c.Special }),
		ps.line(l.T("password.rule_match"), func(_ session.PasswordChecks, match bool) bool { return match }),
	}
	ps.reveal = button(l.T("password.show"), false, func() {
		ps.u.touch()
		ps.u.input.reveal = !ps.u.input.reveal
		ps.show()
	})
	ps.create = button(l.T("password.create"), true, ps.submit)
	kb := newKeyboard(l, ps.typeRune, ps.back, ps.clear, u.touch, ps.create)

	// Fits 1280×800: the two fields side by side on top, the keyboard (with
	// Create in its last row) on the left, the checklist and the advice
	// beside it.
	// The checklist's lines sit tight (a label has its own padding), and
	// what went wrong takes the advice's place while it shows: all of it
	// reads without scrolling down to 1366×768.
	list := container.New(layout.NewCustomPaddedVBoxLayout(0))
	for _, c := range ps.checks {
		list.Add(container.NewBorder(nil, nil, c.icon, nil, c.label))
	}
	fields := container.NewBorder(nil, nil, nil, container.NewVBox(layout.NewSpacer(), sized(ps.reveal, 180, 60)),
		container.NewGridWithColumns(2, ps.fields[0], ps.fields[1]))
	top := container.NewVBox(subtitle(l.T("password.title")), fields)
	ps.explain = para(l.T("password.explain"))
	ps.explain.SizeName = theme.SizeNameCaptionText
	side := container.NewVScroll(container.NewVBox(list, ps.errLbl, ps.explain))
	// The keyboard keeps its own width beside the checklist on a landscape
	// screen; on a portrait one the checklist goes below it, full width.
	ps.obj = container.NewBorder(top, nil, nil, nil, wideRow([]float32{0.01, 1}, 1, container.NewVBox(kb.obj), side))
	ps.update(s)
	return ps
}

func (ps *passwordScreen) line(text string, ok func(session.PasswordChecks, bool) bool) check {
	return check{icon: widget.NewIcon(theme.RadioButtonIcon()), label: para(text), ok: ok}
}

func (ps *passwordScreen) object() fyne.CanvasObject { return ps.obj }

func (ps *passwordScreen) update(s session.State) {
	setText(ps.errLbl, ps.l.Err(s.Err))
	if s.Err != "" {
		ps.explain.Hide()
	} else {
		ps.explain.Show()
	}
	ps.show()
}

// stop blanks the fields; the buffers themselves are wiped by the UI.
func (ps *passwordScreen) stop() {
	for _, f := range ps.fields {
		f.set(nil, false, false)
	}
}

func (ps *passwordScreen) typeRune(r rune) {
	ps.u.touch()
	in := &ps.u.input
	if len(in.pw[in.active]) < maxPassword {
		in.pw[in.active] = append(in.pw[in.active], r)
	}
	ps.show()
}

func (ps *passwordScreen) back() {
	ps.u.touch()
	in := &ps.u.input
	in.pw[in.active] = dropLast(in.pw[in.active])
	ps.show()
}

func (ps *passwordScreen) clear() {
	ps.u.touch()
	in := &ps.u.input
	zero(in.pw[in.active])
	in.pw[in.active] = in.pw[in.active][:0]
	ps.show()
}

func (ps *passwordScreen) submit() {
	in := &ps.u.input
	ps.u.k.Dispatch(session.PasswordEntered{Password: string(in.pw[0]), Confirm: string(in.pw[1])})
}

// show redraws the fields and the checklist from the typed buffers.
func (ps *passwordScreen) show() {
	in := &ps.u.input
	for i, f := range ps.fields {
		f.set(in.pw[i], in.reveal, i == in.active)
	}
	if in.reveal {
		ps.reveal.SetText(ps.l.T("password.hide"))
	} else {
		ps.reveal.SetText(ps.l.T("password.show"))
	}
	// The checklist reads the rule from the session package, the one the
	// machine enforces; only the first entry is judged, the second must match.
	c := session.CheckPassword(string(in.pw[0]))
	match := len(in.pw[0]) > 0 && slices.Equal(in.pw[0], in.pw[1])
	for _, ch := range ps.checks {
		if ch.ok(c, match) {
			ch.icon.SetResource(theme.NewSuccessThemedResource(theme.ConfirmIcon()))
			ch.label.Importance = widget.SuccessImportance
		} else {
			ch.icon.SetResource(theme.RadioButtonIcon())
			ch.label.Importance = widget.MediumImportance
		}
		ch.label.Refresh()
	}
	if c.OK() && match && ps.u.state.Busy == session.OpNone {
		ps.create.Enable()
	} else {
		ps.create.Disable()
	}
}
