package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/session"
)

// signingScreen is the wait while the provider issues the certificate, the
// document is signed and the package is stored; it names the current stage.
type signingScreen struct {
	l      loc
	obj    fyne.CanvasObject
	stage  *widget.Label
	errLbl *widget.Label
	bar    *widget.ProgressBarInfinite
}

func newSigningScreen(_ *UI, s session.State, l loc) *signingScreen {
	ss := &signingScreen{l: l, stage: widget.NewLabel(""), errLbl: errorLabel(), bar: widget.NewProgressBarInfinite()}
	ss.stage.Alignment = fyne.TextAlignCenter
	ss.obj = container.NewVBox(
		layout.NewSpacer(),
		title(l.T("signing.title")),
		ss.bar,
		ss.stage,
		para(l.T("signing.wait")),
		ss.errLbl,
		layout.NewSpacer(),
	)
	ss.update(s)
	return ss
}

func (ss *signingScreen) object() fyne.CanvasObject { return ss.obj }

func (ss *signingScreen) update(s session.State) {
	stage := ""
	if s.Busy != session.OpNone {
		stage = ss.l.Busy(s.Busy)
	}
	ss.stage.SetText(stage)
	errText := ss.l.Err(s.Err)
	if s.Retry == session.OpSeal {
		errText = "" // the waiting box says it, with its countdown
	}
	setText(ss.errLbl, errText)
}

func (ss *signingScreen) stop() { ss.bar.Stop() }
