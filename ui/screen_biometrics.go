package ui

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/camera"
)

// biometricsScreen is step 6: the live, mirrored camera preview with a frame
// around the face the analysis found, the guidance in big letters over the
// preview ("come closer"), and during an attempt the liveness challenge
// with its countdown and progress.
type biometricsScreen struct {
	u         *UI
	l         loc
	obj       fyne.CanvasObject
	prev      *preview
	face      *faceOverlay
	guide     *canvas.Text
	guideBg   *canvas.Rectangle
	lost      *widget.Label
	challenge *widget.Label
	countdown *widget.Label
	progress  *widget.ProgressBar
	attempts  *widget.Label
	errLbl    *widget.Label
	lostCode  string // the refusal the lost label explains (camera_virtual, …), so errLbl does not repeat it
	err       string // the state's error
	start     *widget.Button
	cancel    context.CancelFunc
	ctx       context.Context    // the screen's lifetime
	stopGuide context.CancelFunc // the guidance loop, while it runs
	capturing bool
}

// previewFPS: the issue asks ≥ 15 fps, smooth enough to follow a turn of
// the head; frames are thumbnailed off the UI thread.
const previewFPS = 15

func newBiometricsScreen(u *UI, s session.State, l loc) *biometricsScreen {
	bs := &biometricsScreen{
		u: u, l: l, cancel: func() {},
		challenge: subtitle(""), countdown: widget.NewLabel(""), attempts: widget.NewLabel(""), errLbl: errorLabel(),
		progress: widget.NewProgressBar(), lost: errorLabel(),
	}
	bs.challenge.Importance = widget.HighImportance
	bs.challenge.Alignment = fyne.TextAlignCenter
	bs.countdown.Alignment = fyne.TextAlignCenter
	bs.progress.TextFormatter = func() string { return "" }
	bs.progress.Hide()
	bs.start = button(l.T("bio.start"), true, func() { u.k.Dispatch(session.CaptureStart{}) })

	var cam fyne.CanvasObject
	if u.cam != nil {
		bs.prev = newPreview(u, 480, 360, previewFPS)
		bs.face = newFaceOverlay()
		bs.guide = bigText("", 34)
		bs.guide.Color = color.White
		bs.guideBg = canvas.NewRectangle(color.NRGBA{0, 0, 0, 0x99})
		bs.guideBg.Hide()
		banner := container.NewVBox(layout.NewSpacer(), container.NewStack(bs.guideBg, container.NewPadded(bs.guide)))
		cam = bs.prev.object(bs.face.obj, banner)
		ctx, cancel := context.WithCancel(context.Background())
		bs.cancel = cancel
		go bs.prev.run(ctx, u.cam.Reader(), func(err error) {
			u.do(func() {
				bs.lostCode = ""
				switch {
				case refusal(err) != nil:
					// Not lost but refused: say which camera, and what
					// the config allows, for staff.
					bs.lostCode = camera.ErrorCode(err)
					setText(bs.lost, l.cameraRefused(err))
				case err != nil:
					setText(bs.lost, l.T("bio.camera_lost"))
				default:
					setText(bs.lost, "")
				}
				bs.showErr()
			})
		})
		bs.ctx = ctx
	} else {
		cam = container.NewCenter(para(l.T("bio.no_camera")))
	}

	side := container.NewVBox(
		title(l.T("bio.title")),
		para(l.T("bio.instructions")),
		bs.attempts, bs.errLbl,
		sized(bs.start, 0, 80),
	)
	task := container.NewVBox(bs.challenge, bs.progress, bs.countdown)
	// Landscape: preview left, instructions right; portrait: preview on
	// top, instructions below.
	bs.obj = container.NewBorder(nil, task, nil, nil,
		wideRow([]float32{3, 2}, 0, container.NewBorder(nil, bs.lost, nil, nil, cam), side))
	bs.update(s)
	return bs
}

func (bs *biometricsScreen) object() fyne.CanvasObject { return bs.obj }

// showErr shows the state's error, unless the preview already explains it.
func (bs *biometricsScreen) showErr() {
	if bs.err != "" && bs.err == bs.lostCode {
		setText(bs.errLbl, "")
		return
	}
	setText(bs.errLbl, bs.l.Err(bs.err))
}

func (bs *biometricsScreen) update(s session.State) {
	capturing := s.Busy == session.OpBiometrics
	bs.capturing = capturing
	bs.guideWhile(!capturing)
	if capturing && s.Challenge != "" {
		setText(bs.challenge, bs.l.T("challenge."+s.Challenge))
	} else {
		setText(bs.challenge, "")
		setText(bs.countdown, "")
		bs.progress.Hide()
	}
	bs.attempts.SetText(bs.l.T("bio.attempts", "N", max(s.BioAttemptsLeft, 0)))
	bs.err = s.Err
	bs.showErr()
	if s.Busy != session.OpNone || s.BioAttemptsLeft <= 0 {
		bs.start.Disable()
	} else {
		bs.start.Enable()
	}
}

// guideWhile runs the face guidance while on is true. During an attempt
// the capture analyses the frames itself (and reports them through
// ShowLive), so two analyses never compete for the CPU.
func (bs *biometricsScreen) guideWhile(on bool) {
	switch {
	case on && bs.stopGuide == nil && bs.ctx != nil && bs.u.guide != nil:
		ctx, cancel := context.WithCancel(bs.ctx)
		bs.stopGuide = cancel
		go bs.u.guide(ctx, bs.u.cam.Reader(), bs.u.ShowLive)
	case !on && bs.stopGuide != nil:
		bs.stopGuide()
		bs.stopGuide = nil
	}
}

// Live is one analysed camera frame as the biometrics screen draws it
// (main converts the camera package's analysis into it).
type Live struct {
	Frame     image.Rectangle // the analysed frame's bounds
	Face      image.Rectangle // in frame coordinates, unmirrored; empty: none
	Guidance  string          // a guide.* code; "" hides the banner
	Challenge bool            // the challenge is running
	Remaining time.Duration   // of the challenge
	Progress  float64         // 0…1 toward passing it
}

// live draws one analysis result (UI thread).
func (bs *biometricsScreen) live(v Live) {
	if bs.prev == nil {
		return
	}
	good := v.Guidance == "ok"
	bs.face.set(v.Frame, v.Face, good)
	// During a move "good, stay like that" would contradict the prompt to
	// move: the green frame says it; other guidance (light, one face) still
	// shows.
	if v.Guidance == "" || good && v.Challenge && bs.capturing {
		bs.guide.Text = ""
		bs.guideBg.Hide()
	} else {
		bs.guide.Text = bs.l.T("guide." + v.Guidance)
		bs.guideBg.Show()
	}
	bs.guide.Refresh()
	if bs.capturing && v.Challenge {
		bs.progress.Show()
		bs.progress.SetValue(v.Progress)
		secs := int((v.Remaining + time.Second - 1) / time.Second)
		setText(bs.countdown, bs.l.T("bio.countdown", "N", secs))
	}
}

// stop ends the preview and the guidance, and drops the last frame from
// the screen.
func (bs *biometricsScreen) stop() {
	bs.cancel()
	if bs.prev != nil {
		bs.prev.clear()
		bs.face.set(image.Rectangle{}, image.Rectangle{}, false)
	}
}

// faceOverlay draws the face frame over the mirrored, letterboxed preview.
type faceOverlay struct {
	rect  *canvas.Rectangle
	obj   *fyne.Container
	frame image.Rectangle
	face  image.Rectangle
}

func newFaceOverlay() *faceOverlay {
	f := &faceOverlay{rect: canvas.NewRectangle(color.Transparent)}
	f.rect.StrokeWidth = 5
	f.rect.CornerRadius = 12
	f.rect.Hide()
	f.obj = container.New(&faceLayout{f}, f.rect)
	return f
}

var (
	faceGood = color.NRGBA{0x2E, 0xB8, 0x72, 0xFF} // green: hold this
	faceWarn = color.NRGBA{0xF2, 0xA9, 0x00, 0xFF} // amber: follow the guidance
)

func (f *faceOverlay) set(frame, face image.Rectangle, good bool) {
	f.frame, f.face = frame, face
	if face.Empty() || frame.Empty() {
		f.rect.Hide()
		return
	}
	f.rect.StrokeColor = faceWarn
	if good {
		f.rect.StrokeColor = faceGood
	}
	f.rect.Show()
	f.obj.Refresh()
	f.rect.Refresh()
}

// faceLayout maps the face box from frame pixels to the preview as it is
// drawn: scaled to fit (letterboxed like canvas.ImageFillContain) and
// mirrored like the thumbnail.
type faceLayout struct{ f *faceOverlay }

func (l *faceLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	fr, fc := l.f.frame, l.f.face
	if fr.Empty() || fc.Empty() {
		return
	}
	fw, fh := float32(fr.Dx()), float32(fr.Dy())
	scale := min(size.Width/fw, size.Height/fh)
	offX, offY := (size.Width-fw*scale)/2, (size.Height-fh*scale)/2
	x := float32(fr.Max.X-fc.Max.X) * scale // mirrored
	y := float32(fc.Min.Y-fr.Min.Y) * scale
	l.f.rect.Move(fyne.NewPos(offX+x, offY+y))
	l.f.rect.Resize(fyne.NewSize(float32(fc.Dx())*scale, float32(fc.Dy())*scale))
}

func (l *faceLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.Size{} }

// String helps test failures name a view.
func (v Live) String() string {
	return fmt.Sprintf("face %v in %v, guidance %q, challenge %v %v %.2f", v.Face, v.Frame, v.Guidance, v.Challenge, v.Remaining, v.Progress)
}

// ShowLive draws an analysed frame on the biometrics screen, if it is
// showing; safe to call from any goroutine (the capture calls it for every
// frame it analyses). Views arriving faster than the screen draws are
// dropped, never queued.
func (u *UI) ShowLive(v Live) {
	if !u.livePending.CompareAndSwap(false, true) {
		return
	}
	u.do(func() {
		u.livePending.Store(false)
		if bs, ok := u.screen.(*biometricsScreen); ok {
			bs.live(v)
		}
	})
}
