package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/camera"
)

// uiQueue stands in for Fyne's event loop in tests: fyne.Do on the test
// driver runs inline on the calling goroutine, which would race with the
// test's own taps, so UI work is queued and the test goroutine runs it.
type uiQueue struct {
	mu  sync.Mutex
	fns []func()
}

func (q *uiQueue) post(fn func()) {
	q.mu.Lock()
	q.fns = append(q.fns, fn)
	q.mu.Unlock()
}

// drain runs queued work until none is left.
func (q *uiQueue) drain() {
	for {
		q.mu.Lock()
		fns := q.fns
		q.fns = nil
		q.mu.Unlock()
		if len(fns) == 0 {
			return
		}
		for _, fn := range fns {
			fn()
		}
	}
}

// harness is a UI in a headless test window.
type harness struct {
	t   *testing.T
	q   *uiQueue
	win fyne.Window
	u   *UI
}

// harnessApp is the one test app the harnesses share: a fresh test app
// clears Fyne's font cache, and parsing the fonts again for every screen
// was a quarter of this package's test time under -race. Each harness still
// gets its own window, UI and fake kiosk.
var harnessApp = sync.OnceValue(test.NewApp)

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	fyne.SetCurrentApp(harnessApp())
	win := test.NewTempWindow(t, widget.NewLabel(""))
	win.Resize(fyne.NewSize(1280, 800))
	h := &harness{t: t, q: &uiQueue{}, win: win}
	h.u = newUI(win, opts, h.q.post)
	t.Cleanup(func() {
		h.q.drain()
		h.u.stop()
		h.q.drain()
	})
	return h
}

// waitFor runs the UI until the state it shows satisfies ok.
func (h *harness) waitFor(what string, ok func(session.State) bool) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h.q.drain()
		if ok(h.u.state) {
			return
		}
		if time.Now().After(deadline) {
			s := h.u.state
			h.t.Fatalf("timed out waiting for %s: step=%s busy=%s retry=%s err=%q reason=%q",
				what, s.Step, s.Busy, s.Retry, s.Err, s.Reason)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settle waits until no call is in flight on step.
func (h *harness) settle(step session.Step) {
	h.t.Helper()
	h.waitFor(step.String(), func(s session.State) bool { return s.Step == step && s.Busy == session.OpNone })
}

// objects lists every visible object on screen: the content and the
// overlays, through the widgets' live renderers.
func (h *harness) objects() []fyne.CanvasObject {
	c := h.win.Canvas()
	var out []fyne.CanvasObject
	out = walk(out, c.Content())
	for _, o := range c.Overlays().List() {
		out = walk(out, o)
	}
	return out
}

func walk(out []fyne.CanvasObject, o fyne.CanvasObject) []fyne.CanvasObject {
	if o == nil || !o.Visible() {
		return out
	}
	out = append(out, o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			out = walk(out, c)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			out = walk(out, c)
		}
	}
	return out
}

// texts is all the visible text on screen, one string per text object.
func (h *harness) texts() []string {
	var out []string
	for _, o := range h.objects() {
		if t, ok := o.(*canvas.Text); ok && strings.TrimSpace(t.Text) != "" {
			out = append(out, t.Text)
		}
	}
	return out
}

// screenText is the visible text joined by single spaces, for Contains
// checks against flat(message): wrapped text comes in one object per line.
func (h *harness) screenText() string { return flat(strings.Join(h.texts(), " ")) }

// shows reports whether text is on screen (wrapped or not).
func (h *harness) shows(text string) bool { return strings.Contains(h.screenText(), flat(text)) }

// flat collapses runs of white space to one space.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// button finds the enabled, visible button labelled text (the last one on
// screen, so an overlay's button wins over the content's).
func (h *harness) button(text string) *widget.Button {
	h.t.Helper()
	var found *widget.Button
	for _, o := range h.objects() {
		if b, ok := o.(*widget.Button); ok && b.Text == text && !b.Disabled() {
			found = b
		}
	}
	if found == nil {
		h.t.Fatalf("no enabled button %q on screen (step %s); texts: %q", text, h.u.state.Step, h.texts())
	}
	return found
}

// tap taps the button labelled text and runs the UI.
func (h *harness) tap(text string) {
	h.t.Helper()
	test.Tap(h.button(text))
	h.q.drain()
}

// readToEnd scrolls every scrolled text on screen to its end, as a
// subscriber reading a consent does.
func (h *harness) readToEnd() {
	h.t.Helper()
	n := 0
	for _, o := range h.objects() {
		if sc, ok := o.(*container.Scroll); ok {
			sc.ScrollToBottom()
			n++
		}
	}
	if n == 0 {
		h.t.Fatal("no scrolled text on screen")
	}
	h.q.drain()
}

// hasButton reports whether an enabled button labelled text is on screen.
func (h *harness) hasButton(text string) bool {
	for _, o := range h.objects() {
		if b, ok := o.(*widget.Button); ok && b.Text == text && !b.Disabled() {
			return true
		}
	}
	return false
}

// fakeKiosk runs the real session machine synchronously and drops its
// effects: enough to drive screens and overlays through real transitions.
type fakeKiosk struct {
	mu     sync.Mutex
	m      session.Machine
	s      session.State
	now    time.Time
	events []session.Event
	scans  []string
	subs   []func(session.State)
}

func newFakeKiosk() *fakeKiosk {
	return &fakeKiosk{m: session.Machine{Limits: session.DefaultLimits()}, s: session.State{Lang: "kk"}, now: time.Now()}
}

func (f *fakeKiosk) Dispatch(ev session.Event) {
	f.mu.Lock()
	f.events = append(f.events, ev)
	f.s, _ = f.m.Next(f.s, ev, f.now)
	s, subs := f.s, f.subs
	f.mu.Unlock()
	for _, fn := range subs {
		fn(s)
	}
}

func (f *fakeKiosk) Scan(text string) {
	f.mu.Lock()
	f.scans = append(f.scans, text)
	f.mu.Unlock()
}

func (f *fakeKiosk) State() session.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.s
}

func (f *fakeKiosk) Subscribe(fn func(session.State)) {
	f.mu.Lock()
	f.subs = append(f.subs, fn)
	f.mu.Unlock()
}

// set replaces the state outright (to show any screen) and notifies.
func (f *fakeKiosk) set(s session.State) {
	f.mu.Lock()
	f.s = s
	subs := f.subs
	f.mu.Unlock()
	for _, fn := range subs {
		fn(s)
	}
}

// advance moves the fake clock.
// clock is the fake kiosk's time, for the UI's countdowns.
func (f *fakeKiosk) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeKiosk) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// sent reports whether an event of ev's type was dispatched.
func (f *fakeKiosk) sent(match func(session.Event) bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.events {
		if match(e) {
			return true
		}
	}
	return false
}

// startSession admits the demo order as if a ticket had been scanned.
func (f *fakeKiosk) startSession() {
	p := ticket.NewPayload(ticket.DemoOrder(), "ALM-001", "S-1", f.now, time.Hour)
	f.Dispatch(session.TicketAccepted{Ticket: p})
}

// shared runs src through a camera.Hub for the test, as main does.
func shared(t *testing.T, src camera.Source) Frames {
	t.Helper()
	h := camera.NewHub(src)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); h.Close(); <-done })
	return h
}

// testClock is the UI's injected clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
