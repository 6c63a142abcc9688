package ui

import (
	"context"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/session"
)

// biometricsScreen shows the live camera with a face guide, the
// instructions, and during an attempt the liveness challenge in big letters.
type biometricsScreen struct {
	u         *UI
	l         loc
	obj       fyne.CanvasObject
	prev      *preview
	challenge *widget.Label
	status    *widget.Label
	attempts  *widget.Label
	errLbl    *widget.Label
	start     *widget.Button
	cancel    context.CancelFunc
}

// previewFPS: smooth enough to follow a turn of the head, cheap to draw.
const previewFPS = 12

func newBiometricsScreen(u *UI, s session.State, l loc) *biometricsScreen {
	bs := &biometricsScreen{
		u: u, l: l, cancel: func() {},
		challenge: subtitle(""), status: widget.NewLabel(""), attempts: widget.NewLabel(""), errLbl: errorLabel(),
	}
	bs.challenge.Importance = widget.HighImportance
	bs.challenge.Alignment = fyne.TextAlignCenter
	bs.status.Alignment = fyne.TextAlignCenter
	bs.start = button(l.T("bio.start"), true, func() { u.k.Dispatch(session.CaptureStart{}) })

	var cam fyne.CanvasObject
	if u.cam != nil {
		bs.prev = newPreview(u, 560, 420, previewFPS)
		guide := canvas.NewCircle(color.Transparent)
		guide.StrokeColor, guide.StrokeWidth = theme.Color(theme.ColorNamePrimary), 5
		cam = bs.prev.object(container.NewCenter(sized(guide, 240, 240)))
		ctx, cancel := context.WithCancel(context.Background())
		bs.cancel = cancel
		go bs.prev.run(ctx, u.cam)
	} else {
		cam = container.NewCenter(para(l.T("bio.no_camera")))
	}

	side := container.NewVBox(
		title(l.T("bio.title")),
		para(l.T("bio.instructions")),
		bs.attempts, bs.errLbl,
		sized(bs.start, 0, 80),
	)
	bs.obj = container.NewBorder(nil, container.NewVBox(bs.challenge, bs.status), nil, nil,
		container.NewGridWithColumns(2, cam, container.NewVScroll(side)))
	bs.update(s)
	return bs
}

func (bs *biometricsScreen) object() fyne.CanvasObject { return bs.obj }

func (bs *biometricsScreen) update(s session.State) {
	capturing := s.Busy == session.OpBiometrics
	if capturing && s.Challenge != "" {
		setText(bs.challenge, bs.l.T("challenge."+s.Challenge))
		setText(bs.status, bs.l.Busy(s.Busy))
	} else {
		setText(bs.challenge, "")
		setText(bs.status, "")
	}
	bs.attempts.SetText(bs.l.T("bio.attempts", "N", max(s.BioAttemptsLeft, 0)))
	setText(bs.errLbl, bs.l.Err(s.Err))
	if s.Busy != session.OpNone || s.BioAttemptsLeft <= 0 {
		bs.start.Disable()
	} else {
		bs.start.Enable()
	}
}

// stop ends the preview and drops the last frame from the screen.
func (bs *biometricsScreen) stop() {
	bs.cancel()
	if bs.prev != nil {
		bs.prev.clear()
	}
}
