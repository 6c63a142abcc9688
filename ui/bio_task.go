package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// LivePhase is where an attempt is, as the biometrics screen shows it.
type LivePhase int

// Phases of a Live view, in order.
const (
	LiveGuide    LivePhase = iota // guidance only: no attempt running
	LiveWaiting                   // an attempt waits for a good face before its first move
	LiveMove                      // Moves[Move] is asked
	LiveMoveDone                  // Moves[Move] was seen; the next follows after a beat
	LiveDone                      // every move seen: the provider judges the frames
)

// seqView is the attempt as the screen last heard of it.
type seqView struct {
	moves     []string // nil: the provider's challenge is still being fetched
	move      int
	phase     LivePhase
	progress  float64
	remaining time.Duration
}

// taskView is what the task panel shows: a pure function of the attempt
// (viewOf), so tests check it without pixels.
type taskView struct {
	status    string // id of the short line: preparing, get ready; "" none
	prompt    string // id of the big line: the move, its "done", all done; "" none
	done      bool   // the big line says done (green)
	pic       picture
	move      int // 1-based, for "Move 2 of 3"; 0 hides it
	dots      []picture
	progress  float64
	showBar   bool
	seconds   int // the move's countdown; 0 hides it
	waitSpins bool
}

// viewOf is the task panel for the attempt s.
func viewOf(s seqView) taskView {
	n := len(s.moves)
	if n == 0 {
		return taskView{status: "bio.preparing", waitSpins: true}
	}
	cur := min(max(s.move, 0), n-1)
	v := taskView{dots: make([]picture, n)}
	for i := range v.dots {
		switch {
		case i < cur, i == cur && s.phase >= LiveMoveDone:
			v.dots[i] = dotDone
		case i == cur && s.phase == LiveMove:
			v.dots[i] = dotCurrent
		default:
			v.dots[i] = dotPending
		}
	}
	switch s.phase {
	case LiveMove:
		v.move, v.prompt, v.pic = cur+1, "move."+s.moves[cur], pictureOf(s.moves[cur])
		v.showBar, v.progress = true, s.progress
		v.seconds = max(int((s.remaining+time.Second-1)/time.Second), 1)
	case LiveMoveDone:
		v.move, v.prompt, v.done, v.pic = cur+1, "bio.move_done", true, picDone
	case LiveDone:
		v.prompt, v.done, v.pic, v.waitSpins = "bio.all_done", true, picDone, true
	default: // a good face first; the moves follow
		v.status, v.pic = "bio.get_ready", picLook
	}
	return v
}

// sizeNameMove is the move's prompt: large type, read from a step back
// (kioskTheme sizes it; a theme override here would cost a fresh parse of
// every font each time the screen is built: Fyne caches faces per override
// and never lets them go).
const sizeNameMove fyne.ThemeSizeName = "signkiosk-move"

// bioTask is the task panel of an attempt: one move at a time in large type
// with its picture, where the sequence is ("Move 2 of 3" and a dot per move
// that fills when done), the move's progress and countdown, a clear "done"
// after each move and at the end, and what the kiosk is doing before and
// after (fetching the provider's challenge, the provider judging).
type bioTask struct {
	l         loc
	obj       fyne.CanvasObject
	step      *widget.Label
	dots      []*pictogram
	dotBox    *fyne.Container
	pic       *pictogram
	prompt    *widget.Label
	status    *widget.Label
	bar       *widget.ProgressBar
	countdown *widget.Label
	wait      *widget.ProgressBarInfinite
	shown     taskView
	started   bool // shown is on screen
}

func newBioTask(l loc) *bioTask {
	t := &bioTask{l: l, step: subtitle(""), status: para(""), countdown: widget.NewLabel(""),
		bar: widget.NewProgressBar(), wait: widget.NewProgressBarInfinite(), pic: newPictogram(fyne.NewSize(320, 260))}
	t.prompt = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	t.prompt.SizeName = sizeNameMove
	t.prompt.Wrapping = fyne.TextWrapWord
	t.status.Alignment = fyne.TextAlignCenter
	t.status.SizeName = theme.SizeNameSubHeadingText
	t.countdown.Alignment = fyne.TextAlignCenter
	t.bar.TextFormatter = func() string { return "" }
	t.dotBox = container.NewHBox()
	t.wait.Stop()
	t.wait.Hide()
	// where the sequence is at the top; the move in the middle of the
	// space left (a landscape kiosk's tall column)
	t.obj = container.NewVBox(
		container.NewHBox(t.step, layout.NewSpacer(), t.dotBox),
		layout.NewSpacer(),
		container.NewCenter(t.pic.raster),
		t.prompt,
		t.status, t.bar, t.countdown, t.wait,
		layout.NewSpacer(),
	)
	t.show(viewOf(seqView{}))
	return t
}

// show puts v on screen (UI thread), touching only what changed: the
// capture reports every analysed frame.
func (t *bioTask) show(v taskView) {
	old := t.shown
	first := !t.started
	t.shown, t.started = v, true
	if first || v.status != old.status {
		setText(t.status, t.text(v.status))
	}
	if first || v.prompt != old.prompt || v.done != old.done {
		t.prompt.Importance = widget.HighImportance
		if v.done {
			t.prompt.Importance = widget.SuccessImportance
		}
		t.prompt.SetText(t.text(v.prompt))
		if v.prompt == "" {
			t.prompt.Hide()
		} else {
			t.prompt.Show()
		}
	}
	t.pic.set(v.pic)
	if first || v.move != old.move || len(v.dots) != len(old.dots) {
		step := ""
		if v.move > 0 {
			step = t.l.T("bio.move_n", "N", v.move, "Total", len(v.dots))
		}
		setText(t.step, step)
	}
	t.setDots(v.dots)
	if v.showBar {
		t.bar.Show()
		if v.progress != t.bar.Value {
			t.bar.SetValue(v.progress)
		}
	} else {
		t.bar.Hide()
	}
	if first || v.seconds != old.seconds {
		secs := ""
		if v.seconds > 0 {
			secs = t.l.T("bio.countdown", "N", v.seconds)
		}
		setText(t.countdown, secs)
	}
	if first || v.waitSpins != old.waitSpins {
		if v.waitSpins {
			t.wait.Show()
			t.wait.Start()
		} else {
			t.wait.Stop()
			t.wait.Hide()
		}
	}
}

func (t *bioTask) setDots(dots []picture) {
	if len(dots) != len(t.dots) {
		t.dots = t.dots[:0]
		t.dotBox.RemoveAll()
		for range dots {
			p := newPictogram(fyne.NewSize(40, 40))
			t.dots = append(t.dots, p)
			t.dotBox.Add(p.raster)
		}
	}
	for i, d := range dots {
		t.dots[i].set(d)
	}
}

func (t *bioTask) text(id string) string {
	if id == "" {
		return ""
	}
	return t.l.T(id)
}

// stop ends the spinner's animation.
func (t *bioTask) stop() { t.wait.Stop() }
