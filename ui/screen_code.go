package ui

import (
	"context"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/session"
)

// codeLen is the eGov code's length.
const codeLen = 6

// codeScreen takes the code from 1414 on the on-screen keypad and offers a
// new code after the cooldown.
type codeScreen struct {
	u        *UI
	l        loc
	s        session.State
	obj      fyne.CanvasObject
	digits   [codeLen]*canvas.Text
	pad      *keypad
	attempts *widget.Label
	resend   *widget.Button
	resends  *widget.Label
	errLbl   *widget.Label
	cancel   context.CancelFunc
}

func newCodeScreen(u *UI, s session.State, l loc) *codeScreen {
	cs := &codeScreen{u: u, l: l, attempts: widget.NewLabel(""), resends: widget.NewLabel(""), errLbl: errorLabel()}
	boxes := make([]fyne.CanvasObject, codeLen)
	for i := range cs.digits {
		cs.digits[i] = bigText("", 44)
		frame := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
		frame.StrokeColor, frame.StrokeWidth, frame.CornerRadius = theme.Color(theme.ColorNameInputBorder), 2, 8
		boxes[i] = sized(container.NewStack(frame, container.NewCenter(cs.digits[i])), 68, 88)
	}
	cs.pad = newKeypad(l, cs.digit, cs.back, cs.clear, cs.submit)
	cs.resend = button(l.T("code.resend"), false, func() { u.k.Dispatch(session.ResendCode{}) })

	left := []fyne.CanvasObject{title(l.T("code.title")), para(l.T("code.explain"))}
	if u.demo != nil {
		hint := u.demo.CodeHint
		if hint == "" {
			hint = l.T("code.demo_hint")
		}
		h := para(hint)
		h.Importance = widget.WarningImportance
		left = append(left, h)
	}
	left = append(left,
		container.NewCenter(container.NewHBox(boxes...)),
		cs.attempts, cs.errLbl,
		container.NewHBox(sized(cs.resend, 0, 68)), cs.resends,
	)
	// The keypad beside the text on a landscape screen; below it, within a
	// thumb's reach, on a portrait one (the text then has the full width).
	cs.obj = wideRow([]float32{1, 0.01}, 0, container.NewVScroll(container.NewVBox(left...)), container.NewCenter(cs.pad.obj))

	ctx, cancel := context.WithCancel(context.Background())
	cs.cancel = cancel
	go u.everySecond(ctx, cs.tick) // the resend countdown
	cs.update(s)
	return cs
}

func (cs *codeScreen) object() fyne.CanvasObject { return cs.obj }

func (cs *codeScreen) update(s session.State) {
	cs.s = s
	if s.CodeAttemptsLeft > 0 {
		cs.attempts.SetText(cs.l.T("code.attempts", "N", s.CodeAttemptsLeft))
	} else {
		cs.attempts.SetText(cs.l.T("code.need_resend"))
	}
	setText(cs.errLbl, cs.l.Err(s.Err))
	cs.showDigits()
	cs.tick()
}

func (cs *codeScreen) stop() {
	cs.cancel()
	for _, d := range cs.digits {
		d.Text = ""
	}
}

// tick shows the resend state: a countdown until ResendAt, then the button.
func (cs *codeScreen) tick() {
	s := cs.s
	wait := s.ResendAt.Sub(cs.u.now())
	switch {
	case s.ResendsLeft <= 0:
		cs.resend.SetText(cs.l.T("code.resend"))
		cs.resend.Disable()
	case wait > 0:
		cs.resend.SetText(cs.l.T("code.resend_in", "S", int(math.Ceil(wait.Seconds()))))
		cs.resend.Disable()
	default:
		cs.resend.SetText(cs.l.T("code.resend"))
		cs.resend.Enable()
	}
	// Out of attempts, the new code is the way on: make it the main action.
	if s.CodeAttemptsLeft <= 0 {
		cs.resend.Importance = widget.HighImportance
	} else {
		cs.resend.Importance = widget.MediumImportance
	}
	cs.resend.Refresh()
	if s.ResendsLeft > 0 {
		cs.resends.SetText(cs.l.T("code.resends_left", "N", s.ResendsLeft))
	} else {
		cs.resends.SetText(cs.l.Err(session.ErrNoResends))
	}
}

func (cs *codeScreen) digit(r rune) {
	cs.u.touch()
	if len(cs.u.input.code) < codeLen {
		cs.u.input.code = append(cs.u.input.code, r)
	}
	cs.showDigits()
}

func (cs *codeScreen) back() {
	cs.u.touch()
	cs.u.input.code = dropLast(cs.u.input.code)
	cs.showDigits()
}

func (cs *codeScreen) clear() {
	cs.u.touch()
	zero(cs.u.input.code)
	cs.u.input.code = cs.u.input.code[:0]
	cs.showDigits()
}

// submit sends the code and clears the boxes: a wrong code is typed afresh,
// and the code does not stay on screen.
func (cs *codeScreen) submit() {
	if len(cs.u.input.code) != codeLen {
		return
	}
	code := string(cs.u.input.code)
	zero(cs.u.input.code)
	cs.u.input.code = cs.u.input.code[:0]
	cs.showDigits()
	cs.u.k.Dispatch(session.CodeEntered{Code: code})
}

func (cs *codeScreen) showDigits() {
	code := cs.u.input.code
	for i, d := range cs.digits {
		text := ""
		if i < len(code) {
			text = string(code[i])
		}
		if d.Text != text {
			d.Text = text
			d.Refresh()
		}
	}
	if len(code) == codeLen && cs.s.CodeAttemptsLeft > 0 && cs.s.Busy == session.OpNone {
		cs.pad.ok.Enable()
	} else {
		cs.pad.ok.Disable()
	}
}
