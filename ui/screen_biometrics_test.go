package ui

import (
	"fmt"
	"image"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/camera"
)

// bioRig is the camera screen in a headless window, with a guidance loop
// that only reports when it runs.
type bioRig struct {
	*harness
	k     *fakeKiosk
	s     session.State
	l     loc
	bs    *biometricsScreen
	last  atomic.Pointer[Live] // the view the test showed last
	looks atomic.Int64         // frames the preview had analysed
}

func newBioRig(t *testing.T, lang string) *bioRig {
	t.Helper()
	r := &bioRig{k: newFakeKiosk()}
	// The guidance finds in every frame what the test showed last, so the
	// preview's frames, drawn with their analysis, agree with the test.
	r.harness = newHarness(t, Options{Kiosk: r.k, Camera: shared(t, camera.NewSynthetic(160, 120, 30)),
		Look: func(image.Image) Live {
			r.looks.Add(1)
			v := Live{Frame: bioFrame}
			if l := r.last.Load(); l != nil {
				v = Live{Frame: l.Frame, Face: l.Face, Guidance: l.Guidance, Phase: LiveGuide}
			}
			return v
		}})
	r.s = sampleStates(lang, time.Now())["welcome"]
	r.s.Step = session.StepBiometrics
	r.k.set(r.s)
	r.q.drain()
	r.l = r.u.cat.in(lang)
	var ok bool
	if r.bs, ok = r.u.screen.(*biometricsScreen); !ok {
		t.Fatalf("screen is %T", r.u.screen)
	}
	return r
}

// busy starts (true) or ends an attempt in the session state.
func (r *bioRig) busy(on bool, err string) {
	r.s.Busy, r.s.Err = session.OpNone, err
	if on {
		r.s.Busy = session.OpBiometrics
	}
	r.k.set(r.s)
	r.q.drain()
}

func (r *bioRig) show(v Live) {
	r.last.Store(&v)
	r.u.ShowLive(v)
	r.q.drain()
}

var bioFrame, bioFace = image.Rect(0, 0, 640, 480), image.Rect(200, 100, 400, 300)

// The biometrics screen draws the capture's analysis: the face frame where
// the face is in the mirrored preview, amber while guiding and green when
// good, the guidance in words, and during an attempt the move's countdown
// and progress; guidance runs only outside an attempt.
func TestBiometricsLiveOverlay(t *testing.T) {
	for _, lang := range []string{"kk", "ru"} {
		t.Run(lang, func(t *testing.T) {
			r := newBioRig(t, lang)
			l, bs := r.l, r.bs
			if !r.bs.guiding {
				t.Fatal("no guidance on the camera screen")
			}
			r.show(Live{Frame: bioFrame, Face: image.Rect(40, 100, 240, 300), Guidance: "come_closer"})
			if !r.shows(l.T("guide.come_closer")) {
				t.Fatalf("guidance not shown: %q", r.texts())
			}
			rect := bs.face.rect
			if !rect.Visible() || rect.StrokeColor != faceWarn {
				t.Fatal("face frame not shown in amber while guiding")
			}
			// The face is on the camera's left (x 40–240 of 640): in the
			// mirrored preview it is on the right half.
			area := bs.face.obj.Size()
			if mid := rect.Position().X + rect.Size().Width/2; mid <= area.Width/2 {
				t.Fatalf("face frame centre at %.0f of %.0f: not mirrored", mid, area.Width)
			}

			// An attempt: guidance stops, the capture's own analysis shows
			// with the move's countdown.
			r.busy(true, "")
			if r.bs.guiding {
				t.Fatal("guidance went on during the attempt")
			}
			move := Live{Frame: bioFrame, Face: bioFace, Guidance: "ok", Moves: []string{"turn_left"}, Phase: LiveMove,
				Remaining: 2500 * time.Millisecond, Progress: 0.4}
			r.show(move)
			// The green frame, the move — and no "stay like that" beside it.
			if rect.StrokeColor != faceGood || r.shows(l.T("guide.ok")) || !r.shows(l.T("move.turn_left")) {
				t.Fatalf("attempt not drawn, or its caption contradicts the move: %q", r.texts())
			}
			move.Guidance = "more_light"
			r.show(move)
			if !r.shows(l.T("guide.more_light")) {
				t.Fatalf("quality guidance hidden during the move: %q", r.texts())
			}
			if !r.shows(l.T("bio.countdown", "N", 3)) || !bs.task.bar.Visible() || bs.task.bar.Value != 0.4 {
				t.Fatalf("countdown/progress: %q, progress %v", r.texts(), bs.task.bar.Value)
			}

			// The attempt failed on the kiosk: its message, guidance again,
			// the instructions and Start back in the task's place.
			r.busy(false, session.ErrCameraGone)
			if !r.bs.guiding || !r.shows(l.Err(session.ErrCameraGone)) || bs.task.obj.Visible() || !r.shows(l.T("bio.start")) {
				t.Fatalf("after a failed capture: %q", r.texts())
			}
		})
	}
}

// A sequence of three moves, as the capture reports it, drives the task
// panel: "preparing" while the provider's challenge is fetched, "get ready"
// while a good face is awaited, then each move in turn — its number of the
// three, its prompt and picture, its dot current and the earlier ones done,
// progress and countdown — and "done" after each, "all done — checking" at
// the end. No caption contradicts a move: "good — hold this position",
// "hold still" and "look at the camera" do not show while a move is asked
// or just done; light and one-face guidance does. A new attempt starts
// clean.
func TestBiometricsSequence(t *testing.T) {
	moves := []string{"turn_left", "come_closer", "turn_right"}
	for _, lang := range []string{"kk", "ru", "en"} {
		t.Run(lang, func(t *testing.T) {
			r := newBioRig(t, lang)
			l, task := r.l, r.bs.task
			r.show(Live{Frame: bioFrame, Face: bioFace, Guidance: "ok"})
			if !r.shows(l.T("guide.ok")) || task.obj.Visible() {
				t.Fatalf("before the attempt: %q", r.texts())
			}

			r.busy(true, "")
			if !r.shows(l.T("bio.preparing")) || r.shows(l.T("bio.start")) || r.shows(l.T("bio.instructions")) {
				t.Fatalf("fetching the challenge: %q", r.texts())
			}
			// A guidance view still on its way changes nothing of the task.
			r.show(Live{Frame: bioFrame, Face: bioFace, Guidance: "ok"})
			if !r.shows(l.T("bio.preparing")) {
				t.Fatalf("a guidance view replaced \"preparing\": %q", r.texts())
			}

			r.show(Live{Frame: bioFrame, Face: bioFace, Guidance: "ok", Moves: moves, Phase: LiveWaiting, Remaining: 9 * time.Second})
			if !r.shows(l.T("bio.get_ready")) || r.shows(l.T("bio.preparing")) || !r.shows(l.T("guide.ok")) {
				t.Fatalf("waiting for a good face: %q", r.texts())
			}
			wantDots(t, "waiting", task, dotPending, dotPending, dotPending)

			for i, m := range moves {
				at := fmt.Sprintf("move %d (%s)", i+1, m)
				for _, g := range []string{"ok", "hold_still", "look_at_camera", "center", "move_back"} {
					r.show(Live{Frame: bioFrame, Face: bioFace, Guidance: g, Moves: moves, Move: i, Phase: LiveMove,
						Remaining: 4200 * time.Millisecond, Progress: 0.3})
					if r.shows(l.T("guide." + g)) {
						t.Fatalf("%s: the caption %q contradicts the move: %q", at, l.T("guide."+g), r.texts())
					}
				}
				if !r.shows(l.T("move."+m)) || !r.shows(l.T("bio.move_n", "N", i+1, "Total", 3)) ||
					!r.shows(l.T("bio.countdown", "N", 5)) || r.shows(l.T("bio.get_ready")) {
					t.Fatalf("%s: %q", at, r.texts())
				}
				if !task.bar.Visible() || task.bar.Value != 0.3 || task.pic.pic != pictureOf(m) {
					t.Fatalf("%s: progress %v (shown %v), picture %v", at, task.bar.Value, task.bar.Visible(), task.pic.pic)
				}
				dots := slices.Repeat([]picture{dotPending}, 3)
				for j := range i {
					dots[j] = dotDone
				}
				dots[i] = dotCurrent
				wantDots(t, at, task, dots...)
				r.show(Live{Frame: bioFrame, Face: bioFace, Guidance: "many_faces", Moves: moves, Move: i, Phase: LiveMove, Progress: 0.3})
				if !r.shows(l.T("guide.many_faces")) {
					t.Fatalf("%s: one-face guidance hidden: %q", at, r.texts())
				}

				r.show(Live{Frame: bioFrame, Face: bioFace, Guidance: "ok", Moves: moves, Move: i, Phase: LiveMoveDone, Progress: 1})
				if !r.shows(l.T("bio.move_done")) || r.shows(l.T("move."+m)) || r.shows(l.T("guide.ok")) ||
					task.bar.Visible() || task.countdown.Visible() || task.pic.pic != picDone || task.prompt.Importance != widget.SuccessImportance {
					t.Fatalf("%s done: %q", at, r.texts())
				}
				dots[i] = dotDone
				wantDots(t, at+" done", task, dots...)
			}

			r.show(Live{Frame: bioFrame, Face: bioFace, Guidance: "ok", Moves: moves, Move: 2, Phase: LiveDone, Progress: 1})
			if !r.shows(l.T("bio.all_done")) || r.shows(l.T("bio.move_n", "N", 3, "Total", 3)) || !task.wait.Visible() || r.shows(l.T("guide.ok")) {
				t.Fatalf("all done: %q", r.texts())
			}
			wantDots(t, "all done", task, dotDone, dotDone, dotDone)

			// The provider asks for another try: the instructions again, then
			// a fresh attempt with nothing of the last one's sequence.
			r.busy(false, "no_match")
			if task.obj.Visible() || !r.shows(l.Err("no_match")) || r.shows(l.T("bio.all_done")) {
				t.Fatalf("after the judgement: %q", r.texts())
			}
			r.busy(true, "")
			if !r.shows(l.T("bio.preparing")) || r.shows(l.T("bio.all_done")) || len(task.shown.dots) != 0 {
				t.Fatalf("a new attempt: %q", r.texts())
			}
		})
	}
}

// ShowLive never loses the newest view: views that come while one waits
// for the UI thread are not queued, but the newest is what gets drawn (the
// last view of an attempt, "all done", comes once).
func TestShowLiveDrawsTheNewest(t *testing.T) {
	r := newBioRig(t, "kk")
	r.busy(true, "")
	moves := []string{"come_closer"}
	r.u.ShowLive(Live{Frame: bioFrame, Face: bioFace, Moves: moves, Phase: LiveMove, Progress: 0.5})
	r.u.ShowLive(Live{Frame: bioFrame, Face: bioFace, Moves: moves, Phase: LiveMoveDone, Progress: 1})
	r.u.ShowLive(Live{Frame: bioFrame, Face: bioFace, Moves: moves, Phase: LiveDone, Progress: 1})
	r.q.drain()
	if !r.shows(r.l.T("bio.all_done")) {
		t.Fatalf("the last view was lost: %q", r.texts())
	}
}

// Every state of the task panel fits a landscape and a portrait 1080p
// kiosk (and the smallest landscape one) in every language: the longest
// prompt of each move wraps, nothing makes the screen larger than the
// display.
func TestBiometricsTaskFits(t *testing.T) {
	moves := []string{"turn_left", "turn_right", "come_closer"}
	views := []Live{{Moves: moves, Phase: LiveWaiting}}
	for i := range moves {
		views = append(views, Live{Moves: moves, Move: i, Phase: LiveMove, Remaining: 6 * time.Second, Progress: 0.5},
			Live{Moves: moves, Move: i, Phase: LiveMoveDone, Progress: 1})
	}
	views = append(views, Live{Moves: moves, Move: 2, Phase: LiveDone, Progress: 1})
	for _, lang := range []string{"kk", "ru", "en"} {
		for _, o := range touchOrientations {
			t.Run(lang+"/"+o.name, func(t *testing.T) {
				r := newBioRig(t, lang)
				r.win.Resize(o.size)
				r.busy(true, "")
				c := r.win.Canvas()
				for _, v := range append([]Live{{}}, views...) {
					v.Frame, v.Face, v.Guidance = bioFrame, bioFace, "less_light"
					r.show(v)
					settleLayout(c)
					if got := c.Size(); got != o.size {
						t.Errorf("%v: screen does not fit: canvas %v, display %v", v, got, o.size)
					}
					if p := r.bs.task.prompt; p.Visible() && p.Size().Width > o.size.Width {
						t.Errorf("%v: the prompt is %.0f px wide on a %.0f px display", v, p.Size().Width, o.size.Width)
					}
				}
			})
		}
	}
}

func wantDots(t *testing.T, at string, task *bioTask, want ...picture) {
	t.Helper()
	if !slices.Equal(task.shown.dots, want) {
		t.Fatalf("%s: dots %v, want %v", at, task.shown.dots, want)
	}
	for i, d := range task.dots {
		if d.pic != want[i] || !d.raster.Visible() {
			t.Fatalf("%s: dot %d draws %v (visible %v), want %v", at, i, d.pic, d.raster.Visible(), want[i])
		}
	}
}

// Outside an attempt the preview analyses each frame it shows and draws
// the guidance with that frame (one repaint, not two); during an attempt it
// analyses none (the capture does) while the frames go on.
func TestBiometricsGuidanceOnEveryShownFrame(t *testing.T) {
	r := newBioRig(t, "ru")
	r.last.Store(&Live{Frame: bioFrame, Face: bioFace, Guidance: "move_back"})
	shown := func() int64 { return int64(r.u.previewFrames.Load()) }
	for start := shown(); shown() < start+5; {
		r.q.drain()
		time.Sleep(5 * time.Millisecond)
	}
	if !r.shows(r.l.T("guide.move_back")) || !r.bs.face.rect.Visible() {
		t.Fatalf("the frames' guidance is not drawn: %q", r.texts())
	}
	// every frame drawn was analysed (a frame on its way was, too)
	if looks, frames := r.looks.Load(), shown(); looks < frames {
		t.Fatalf("%d frames shown, %d analysed", frames, looks)
	}

	r.busy(true, "")
	looks := r.looks.Load()
	for start := shown(); shown() < start+5; {
		r.q.drain()
		time.Sleep(5 * time.Millisecond)
	}
	// at most the one frame being analysed as the attempt began
	if n := r.looks.Load() - looks; n > 1 {
		t.Fatalf("%d frames analysed during the attempt", n)
	}
}
