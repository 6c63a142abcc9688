package ui

import (
	"context"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/provider"
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
	sentLbl  *widget.Label // "a new code was sent"
	sent     int           // the state's CodeSent last shown
	newCode  bool          // a code after the first was sent: say so
	cancel   context.CancelFunc
}

func newCodeScreen(u *UI, s session.State, l loc) *codeScreen {
	cs := &codeScreen{u: u, l: l, attempts: widget.NewLabel(""), resends: widget.NewLabel(""), errLbl: errorLabel(),
		sentLbl: noticeLabel(), sent: s.CodeSent, newCode: s.CodeSent > 1}
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
	cs.resends.Wrapping = fyne.TextWrapWord
	left = append(left,
		container.NewCenter(container.NewHBox(boxes...)),
		cs.attempts, cs.errLbl, cs.sentLbl,
		container.NewBorder(nil, nil, sized(cs.resend, 0, 68), nil, container.NewVBox(layout.NewSpacer(), cs.resends, layout.NewSpacer())),
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
	if s.CodeSent > cs.sent {
		// A new code is on its way: the old one's digits go, and the
		// subscriber is told (it could otherwise be confirmed, and burn
		// an attempt of the new code).
		cs.sent, cs.newCode = s.CodeSent, true
		zero(cs.u.input.code)
		cs.u.input.code = cs.u.input.code[:0]
	}
	cs.s = s
	out := s.CodeAttemptsLeft <= 0
	errText := cs.l.Err(s.Err)
	switch {
	case !out:
		cs.attempts.SetText(cs.l.T("code.attempts", "N", s.CodeAttemptsLeft))
	case s.Err == provider.CodeCodeExpired:
		// One message: why, and what to do.
		cs.attempts.SetText(errText)
		errText = ""
	default:
		cs.attempts.SetText(cs.l.T("code.need_resend"))
		if s.Err == provider.CodeWrongCode || s.Err == provider.CodeTooMany {
			errText = "" // what "no attempts left" already says
		}
	}
	setText(cs.errLbl, errText)
	notice := ""
	if cs.newCode && s.Err == "" && !out {
		notice = cs.l.T("code.sent")
	}
	setText(cs.sentLbl, notice)
	// Out of attempts nothing typed can be sent: the keys wait for a new code.
	cs.pad.setKeys(!out)
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
