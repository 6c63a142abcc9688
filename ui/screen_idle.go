package ui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/camera"
)

// Idle QR scanning: look at each of the 4 frames a second the preview
// reads, decoding only those where the picture changed (camera.Scanner),
// with a pause well under that beat: a pause close to it made the scanner
// wait past frames, and tickets took 400–500 ms, once 10 s
// (docs/BENCHMARKS.md). The same ticket is ignored for 5 s while it is
// held up. The preview shows staff where to hold the ticket at 2 of those
// frames a second: each shown frame repaints the whole window, which
// software GL pays for (about 2 points of a core a frame a second at
// 1920×1080, make probe), and the idle screen is where a kiosk spends its
// day.
const (
	scanEvery      = 150 * time.Millisecond
	scanRepeat     = 5 * time.Second
	idleReadFPS    = 4
	idlePreviewFPS = 2
)

// idleScreen waits for staff to show a session ticket. It scans the camera
// for QR codes only while it is on screen.
type idleScreen struct {
	u      *UI
	l      loc
	obj    fyne.CanvasObject
	msg    *widget.Label
	note   string // the UI's own message (e.g. no QR in a picture)
	err    string // the state's ticket refusal
	prev   *preview
	cancel context.CancelFunc
}

func newIdleScreen(u *UI, s session.State, l loc) *idleScreen {
	is := &idleScreen{u: u, l: l, msg: errorLabel(), cancel: func() {}}
	items := []fyne.CanvasObject{title(l.T("idle.title")), subtitle(l.T("idle.staff"))}
	if u.cam != nil {
		is.prev = newPreview(u, 400, 300, 400, 300, idlePreviewFPS)
		is.prev.readEvery = time.Second / idleReadFPS
		items = append(items, container.NewCenter(is.prev.object()))
		ctx, cancel := context.WithCancel(context.Background())
		is.cancel = cancel
		shown := newFrameTap()
		is.prev.tap = shown.put
		go is.prev.run(ctx, u.cam.Reader(), nil)
		go is.scan(ctx, shown)
	} else {
		items = append(items, para(l.T("idle.no_camera")))
	}
	items = append(items, is.msg)

	var buttons []fyne.CanvasObject
	if u.demo != nil && u.demo.NewTicketQR != nil {
		buttons = append(buttons, sized(button(l.T("idle.demo"), true, is.demoTicket), 0, 72))
	}
	buttons = append(buttons, sized(button(l.T("idle.open"), false, is.openTicket), 0, 72))
	items = append(items, container.NewCenter(container.NewHBox(buttons...)))

	// The language buttons sit top right as on every other screen; the
	// choice stays for the idle screen (a ticket's order language wins for
	// its session).
	// The staff corner lies over the top-left (cornerLayer): the bar
	// keeps its height on the left for it.
	langs := container.NewVBox(container.NewBorder(nil, nil, sized(layout.NewSpacer(), staffCornerW, 0), container.NewHBox(langButtons(u, s.Lang, l)...)), widget.NewSeparator())
	body := container.NewVBox(append([]fyne.CanvasObject{layout.NewSpacer()}, append(items, layout.NewSpacer())...)...)
	is.obj = container.NewBorder(langs, nil, nil, nil, body)
	is.update(s)
	return is
}

func (is *idleScreen) object() fyne.CanvasObject { return is.obj }

func (is *idleScreen) update(s session.State) {
	if s.Err != is.err {
		is.err, is.note = s.Err, "" // a new refusal replaces an older note
	}
	text := is.note
	if is.err != "" {
		text = is.l.Err(is.err)
	}
	if s.Storage != "" {
		// The kiosk takes no session while its database cannot keep one:
		// that, with what staff must do, comes before anything else.
		text = is.l.Err(s.Storage)
	}
	setText(is.msg, text)
}

func (is *idleScreen) stop() {
	is.cancel()
	if is.prev != nil {
		is.prev.clear()
	}
}

// say shows the UI's own message (UI thread only).
func (is *idleScreen) say(text string) {
	is.err, is.note = "", text
	setText(is.msg, text)
}

// scan runs the QR scanner on the frames the preview shows, and restarts
// it after a camera failure until the screen goes.
func (is *idleScreen) scan(ctx context.Context, src camera.Source) {
	for {
		err := camera.ScanLoop(ctx, src, scanEvery, scanRepeat, is.u.k.Scan)
		if ctx.Err() != nil || errors.Is(err, camera.ErrClosed) {
			return
		}
		is.u.log.Warn().Err(err).Msg("idle QR scanning stopped; retrying")
		msg := is.l.cameraRefused(err) // a refused camera: which, and what is allowed
		if msg == "" {
			msg = is.l.T("idle.camera_error")
		}
		is.u.do(func() { is.say(msg) })
		if !sleep(ctx, 2*time.Second) {
			return
		}
	}
}
