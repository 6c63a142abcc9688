// Package ui is the kiosk's Fyne front end: one screen per session step,
// built from the session state that the runner in app/kiosk publishes, with
// an on-screen keypad and keyboard (the kiosk has no physical keyboard), a
// camera preview, and translations in Kazakh, Russian and English.
//
// The UI holds no session logic: every tap becomes a session event, and what
// shows is a function of the state (plus what is being typed).
package ui

import (
	"context"
	"image"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/camera"
)

// Kiosk is what the UI needs from the session runner (*kiosk.Runner).
type Kiosk interface {
	Dispatch(ev session.Event)
	Scan(text string)
	State() session.State
	// Subscribe registers fn for state changes. fn runs on the runner's
	// goroutine: the UI hands the work to Fyne's thread itself.
	Subscribe(fn func(session.State))
}

// Demo turns on the demo helpers; nil outside demo mode.
type Demo struct {
	// NewTicketQR makes a fresh demo ticket and returns its QR as a PNG file.
	NewTicketQR func() (pngPath string, err error)
	// CodeHint is shown on the code screen (where the simulated SMS code
	// is); empty shows the translated default hint.
	CodeHint string
}

// Frames shares the kiosk's one camera (a *camera.Hub): each preview,
// scanner and capture takes its own reader and gets the newest frames.
type Frames interface {
	Reader() camera.Source
	// ReaderAtLeast gives frames decoded smaller where the camera's are
	// larger than w×h (camera.Hub.ReaderAtLeast).
	ReaderAtLeast(w, h int) camera.Source
}

// Options wires a UI.
type Options struct {
	Kiosk  Kiosk
	Camera Frames // may be nil: no preview, no idle scanning
	// Look analyses one camera frame for the face guidance; the camera
	// screen calls it for each frame it shows (off the UI thread) and draws
	// the result with that frame. nil: the preview shows no guidance.
	Look  func(frame image.Image) Live
	Demo  *Demo
	Log   zerolog.Logger
	Now   func() time.Time // clock for countdowns; time.Now when nil
	Staff *StaffOptions    // the hidden staff menu; nil leaves it out
}

// UI drives one kiosk window.
type UI struct {
	win  fyne.Window
	k    Kiosk
	cam  Frames
	look func(image.Image) Live
	demo *Demo
	log  zerolog.Logger
	now  func() time.Time
	cat  *catalog
	// do runs UI work on Fyne's thread: fyne.Do in the app, a queue the
	// test goroutine drains in tests (the test driver runs fyne.Do inline on
	// the caller's goroutine, which would race with the test's taps).
	do func(func())
	// pending coalesces state notifications into one refresh.
	pending atomic.Bool
	// livePending: a camera analysis is on its way to the UI thread;
	// liveLast is the newest, which it draws (ShowLive).
	livePending atomic.Bool
	liveLast    atomic.Pointer[Live]
	// previewFrames counts camera frames put on screen (PreviewFrames).
	previewFrames atomic.Uint64
	// notified is when the runner last published a state (unix ns);
	// lastChange how long the last screen change took (LastScreenChange).
	notified, lastChange atomic.Int64

	// Below: touched on the UI thread only.
	state     session.State
	started   bool
	screen    screen
	head      *header
	input     typed
	busy      overlay
	busyOp    session.Op // the call the busy overlay waits for
	busySince time.Time  // since when (u.now)
	retry     overlay
	still     overlay
	confirm   overlay
	lastTouch time.Time
	staff     *staffMenu // nil without Options.Staff
	textStep  int        // index into textScales, for this session
	overrides int        // theme overrides made since the font cache was last cleared
}

// New builds the UI in win, applies the kiosk theme to the app and follows
// the kiosk's session from now on. Call it on the Fyne thread (e.g. before
// ShowAndRun).
func New(win fyne.Window, opts Options) *UI {
	var stopped atomic.Bool
	u := newUI(win, opts, func(f func()) {
		if !stopped.Load() {
			fyne.Do(f)
		}
	})
	// Once the app stops, late work from the camera goroutines is dropped:
	// fyne.Do after the event loop would run it off the UI thread, on a
	// window that is gone.
	fyne.CurrentApp().Lifecycle().SetOnStopped(func() { stopped.Store(true) })
	return u
}

func newUI(win fyne.Window, opts Options, do func(func())) *UI {
	cat, err := loadCatalog()
	if err != nil {
		// The catalogues are embedded and tested; this is a build defect.
		panic(err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	u := &UI{
		win: win, k: opts.Kiosk, cam: opts.Camera, look: opts.Look, demo: opts.Demo,
		log: opts.Log.With().Str("component", "ui").Logger(), now: opts.Now,
		cat: cat, do: do,
	}
	// Setting the theme again would only throw away the parsed fonts (Fyne
	// clears its font cache on every theme change).
	if _, ours := fyne.CurrentApp().Settings().Theme().(*kioskTheme); !ours {
		fyne.CurrentApp().Settings().SetTheme(NewTheme())
	}
	// The content pads itself (render): unpadded, the window's top-left
	// pixel is the staff corner's.
	win.SetPadded(false)
	u.initStaff(opts.Staff)
	u.k.Subscribe(func(session.State) {
		if u.pending.CompareAndSwap(false, true) {
			u.notified.Store(time.Now().UnixNano())
			u.do(u.refresh)
		}
	})
	u.apply(u.k.State())
	return u
}

// refresh shows the runner's current state. Reading it here rather than
// using the notified copy means a late or coalesced notification can never
// put an older state back on screen.
func (u *UI) refresh() {
	u.pending.Store(false)
	at := u.notified.Load()
	before := u.screen
	u.apply(u.k.State())
	if u.screen != before && at != 0 {
		u.lastChange.Store(time.Now().UnixNano() - at)
	}
}

// LastScreenChange is how long the last change of screen took, from the
// runner publishing the new state to the new screen set in the window (its
// wait for the UI thread included; drawing it follows in the same frame).
func (u *UI) LastScreenChange() time.Duration { return time.Duration(u.lastChange.Load()) }

// apply brings the window in line with s.
func (u *UI) apply(s session.State) {
	prev, first := u.state, !u.started
	u.state, u.started = s, true
	newStep := first || s.Step != prev.Step || s.Gen != prev.Gen
	if first || s.Gen != prev.Gen || s.Step == session.StepIdle {
		u.textStep = 0 // a larger text is one subscriber's choice
	}
	if newStep {
		u.input.wipe() // typing belongs to one step of one session
		u.log.Debug().Str("step", s.Step.String()).Uint64("gen", s.Gen).Msg("screen")
	}
	if newStep || s.Lang != prev.Lang {
		u.render(s)
	}
	if u.head != nil {
		u.head.update(s)
	}
	u.screen.update(s)
	u.overlays(s)
}

// render replaces the screen for s's step and language.
func (u *UI) render(s session.State) {
	if u.screen != nil {
		u.screen.stop()
	}
	l := u.cat.in(s.Lang)
	if s.Step == session.StepIdle && u.overrides > 0 {
		u.dropOverrideFonts()
	}
	u.screen = u.build(s, l)
	u.head = nil
	var top fyne.CanvasObject
	if s.Step != session.StepIdle {
		u.head = newHeader(u, s, l)
		top = u.head.obj
	}
	var body fyne.CanvasObject = container.NewPadded(u.screen.object())
	if f := textScales[u.textStep]; f != 1 {
		// Only the screen's text grows: the header (step, languages,
		// Cancel) stays where the subscriber found it.
		body = container.NewThemeOverride(body, scaledTheme{fyne.CurrentApp().Settings().Theme(), f})
		u.overrides++
	}
	// The window is unpadded (newUI) so the staff corner starts at the
	// screen's very edge; the padding is the content's own.
	u.win.SetContent(container.NewStack(
		container.NewPadded(container.NewBorder(top, nil, nil, nil, body)),
		cornerLayer(newStaffCorner(u))))
}

// dropOverrideFonts lets go of the fonts the session's theme overrides
// parsed. Fyne caches font faces per override and never drops them, and each
// screen built with larger text is a new override: 5–10 MB a session where
// someone tapped "Aa", for good. Setting the theme again clears that cache
// (the next screen parses its fonts once more, a few ms); done on the way
// back to idle, where the window is rebuilt anyway.
func (u *UI) dropOverrideFonts() {
	u.overrides = 0
	set := fyne.CurrentApp().Settings()
	set.SetTheme(set.Theme())
}

// biggerText steps the screen's text size up, back to normal after the
// largest (the header's "Aa" button). The size holds for the session.
func (u *UI) biggerText() {
	u.touch()
	u.textStep = (u.textStep + 1) % len(textScales)
	u.log.Debug().Int("text_step", u.textStep).Msg("text size")
	u.render(u.state)
	u.apply(u.state)
}

// touch tells the session someone is there (resets its idle clock). It is
// cheap: at most one event a second, whatever the tapping rate.
func (u *UI) touch() {
	now := u.now()
	if now.Sub(u.lastTouch) < time.Second {
		return
	}
	u.lastTouch = now
	u.k.Dispatch(session.Activity{})
}

// loc is the lookup in the language on screen.
func (u *UI) loc() loc { return u.cat.in(u.state.Lang) }

// stop ends the current screen's goroutines (camera, countdowns).
func (u *UI) stop() {
	if u.screen != nil {
		u.screen.stop()
	}
}

// PreviewFrames is how many camera frames the previews have put on screen,
// for measuring the preview's frame rate.
func (u *UI) PreviewFrames() uint64 { return u.previewFrames.Load() }

// everySecond runs fn on the UI thread once a second until ctx ends: the
// screens' countdowns and the staff menu's lock.
func (u *UI) everySecond(ctx context.Context, fn func()) { u.every(ctx, time.Second, fn) }

// every runs fn on the UI thread every d until ctx ends.
func (u *UI) every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			u.do(fn)
		}
	}
}

// BiggerTextForScreens sets the text size step (0 normal … 2 largest) as
// the header's "Aa" would. For the screenshot tool only; on the Fyne
// thread.
func (u *UI) BiggerTextForScreens(step int) {
	for u.textStep != step%len(textScales) {
		u.biggerText()
	}
}
