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
// around the face the analysis found and the guidance in big letters over
// the preview ("come closer"); beside it (below it on a portrait kiosk) the
// instructions and Start, and during an attempt the task panel in their
// place: the provider's moves one at a time (bio_task.go).
type biometricsScreen struct {
	u         *UI
	l         loc
	obj       fyne.CanvasObject
	prev      *preview
	face      *faceOverlay
	guide     *canvas.Text
	guideBg   *canvas.Rectangle
	lost      *widget.Label
	side      fyne.CanvasObject // instructions, attempts, Start
	task      *bioTask
	seq       seqView // the attempt, from the capture's Live views
	attempts  *widget.Label
	errLbl    *widget.Label
	lostCode  string // the refusal the lost label explains (camera_virtual, …), so errLbl does not repeat it
	err       string // the state's error
	start     *widget.Button
	cancel    context.CancelFunc
	guiding   bool // the preview analyses the frames it shows
	capturing bool
}

// previewFPS: the issue asks ≥ 15 fps, smooth enough to follow a turn of
// the head; frames are thumbnailed off the UI thread.
const previewFPS = 15

func newBiometricsScreen(u *UI, s session.State, l loc) *biometricsScreen {
	bs := &biometricsScreen{
		u: u, l: l, cancel: func() {},
		attempts: widget.NewLabel(""), errLbl: errorLabel(), lost: errorLabel(), task: newBioTask(l),
	}
	bs.start = button(l.T("bio.start"), true, func() { u.k.Dispatch(session.CaptureStart{}) })

	var cam fyne.CanvasObject
	if u.cam != nil {
		bs.prev = newPreview(u, 480, 360, previewMaxW, previewMaxH, previewFPS)
		bs.face = newFaceOverlay()
		bs.guide = bigText("", 34)
		bs.guide.Color = color.White
		bs.guideBg = canvas.NewRectangle(color.NRGBA{0, 0, 0, 0x99})
		bs.guideBg.Hide()
		banner := container.NewVBox(layout.NewSpacer(), container.NewStack(bs.guideBg, container.NewPadded(bs.guide)))
		cam = bs.prev.object(bs.face.obj, banner)
		bs.prev.onLook = bs.live
		ctx, cancel := context.WithCancel(context.Background())
		bs.cancel = cancel
		// Frames at least 640×360: a 720p camera's come decoded at half
		// size (the preview shows no more, and the guidance needs no more).
		go bs.prev.run(ctx, u.cam.ReaderAtLeast(previewLookW, previewLookH), func(err error) {
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
	} else {
		cam = container.NewCenter(para(l.T("bio.no_camera")))
	}

	bs.side = container.NewVBox(
		title(l.T("bio.title")),
		para(l.T("bio.instructions")),
		bs.attempts, bs.errLbl,
		sized(bs.start, 0, 80),
	)
	bs.task.obj.Hide()
	// Landscape: preview left, instructions (or the task) right; portrait:
	// preview on top, instructions below.
	bs.obj = wideRow([]float32{3, 2, 2}, 0, container.NewBorder(nil, bs.lost, nil, nil, cam), bs.side, bs.task.obj)
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
	if capturing != bs.capturing {
		// A new attempt starts by fetching the provider's challenge; one
		// that ended leaves nothing of its sequence behind.
		bs.seq = seqView{}
		bs.task.show(viewOf(bs.seq))
		if capturing {
			bs.side.Hide()
			bs.task.obj.Show()
		} else {
			bs.task.obj.Hide()
			bs.side.Show()
		}
		bs.obj.Refresh()
	}
	bs.capturing = capturing
	bs.guideWhile(!capturing)
	bs.attempts.SetText(bs.l.T("bio.attempts", "N", max(s.BioAttemptsLeft, 0)))
	bs.err = s.Err
	bs.showErr()
	if s.Busy != session.OpNone || s.BioAttemptsLeft <= 0 {
		bs.start.Disable()
	} else {
		bs.start.Enable()
	}
}

// previewLookW×H: the least frame size the camera screen reads.
const previewLookW, previewLookH = 640, 360

// guideWhile runs the face guidance while on is true: the preview analyses
// each frame it shows and draws the result with it. During an attempt the
// capture analyses the frames itself (and reports them through ShowLive),
// so two analyses never compete for the CPU.
func (bs *biometricsScreen) guideWhile(on bool) {
	on = on && bs.prev != nil && bs.u.look != nil
	if on == bs.guiding {
		return
	}
	bs.guiding = on
	if on {
		bs.prev.setLook(bs.u.look)
	} else {
		bs.prev.setLook(nil)
	}
}

// Live is one analysed camera frame as the biometrics screen draws it
// (main converts the camera package's analysis into it).
type Live struct {
	Frame     image.Rectangle // the analysed frame's bounds
	Face      image.Rectangle // in frame coordinates, unmirrored; empty: none
	Guidance  string          // a guide.* code; "" hides the banner
	Moves     []string        // the provider's sequence; nil while guiding only
	Move      int             // index in Moves of the move asked or just done
	Phase     LivePhase
	Remaining time.Duration // of the move
	Progress  float64       // 0…1 toward passing the move
}

// duringMove is the guidance that still shows while a move is asked or
// just done: what stops any move from being seen (light, a second face,
// no face). "Good — hold this position", "hold still", "look at the
// camera", "move into the middle" or "closer / back" would contradict the
// prompt to move; the face frame's colour still says how the face is.
var duringMove = map[string]bool{"no_face": true, "many_faces": true, "more_light": true, "less_light": true}

// live draws one analysis result (UI thread).
func (bs *biometricsScreen) live(v Live) {
	if bs.prev == nil {
		return
	}
	good := v.Guidance == "ok"
	bs.face.set(v.Frame, v.Face, good)
	attempt := bs.capturing && v.Phase != LiveGuide
	if attempt {
		bs.seq = seqView{moves: v.Moves, move: v.Move, phase: v.Phase, progress: v.Progress, remaining: v.Remaining}
		bs.task.show(viewOf(bs.seq))
	}
	moving := bs.capturing && bs.seq.phase >= LiveMove
	if v.Guidance == "" || moving && !duringMove[v.Guidance] {
		bs.guide.Text = ""
		bs.guideBg.Hide()
	} else {
		bs.guide.Text = bs.l.T("guide." + v.Guidance)
		bs.guideBg.Show()
	}
	bs.guide.Refresh()
}

// stop ends the preview and the guidance, and drops the last frame from
// the screen.
func (bs *biometricsScreen) stop() {
	bs.cancel()
	bs.task.stop()
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
	return fmt.Sprintf("face %v in %v, guidance %q, moves %v #%d phase %d %v %.2f", v.Face, v.Frame, v.Guidance, v.Moves, v.Move, v.Phase, v.Remaining, v.Progress)
}

// ShowLive draws an analysed frame on the biometrics screen, if it is
// showing; safe to call from any goroutine (the capture calls it for every
// frame it analyses). Views arriving faster than the screen draws are not
// queued: the screen draws the newest when it gets to it, so the last view
// of an attempt (all moves done) is never lost.
func (u *UI) ShowLive(v Live) {
	u.liveLast.Store(&v)
	if !u.livePending.CompareAndSwap(false, true) {
		return
	}
	u.do(func() {
		u.livePending.Store(false)
		v := u.liveLast.Load()
		if bs, ok := u.screen.(*biometricsScreen); ok && v != nil {
			bs.live(*v)
		}
	})
}
