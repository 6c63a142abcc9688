package ui

import (
	"context"
	"image"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/camera"
)

// The biometrics screen draws the capture's analysis: the face frame where
// the face is in the mirrored preview, amber while guiding and green when
// good, the guidance in words, and during an attempt the countdown and
// progress; guidance runs only outside an attempt.
func TestBiometricsLiveOverlay(t *testing.T) {
	for _, lang := range []string{"kk", "ru"} {
		t.Run(lang, func(t *testing.T) {
			k := newFakeKiosk()
			guides := make(chan bool, 8) // true: a guidance loop started; false: it stopped
			h := newHarness(t, Options{Kiosk: k, Camera: shared(t, camera.NewSynthetic(160, 120, 30)),
				Guide: func(ctx context.Context, src camera.Source, on func(Live)) {
					guides <- true
					<-ctx.Done()
					guides <- false
				}})
			s := sampleStates(lang, time.Now())["welcome"]
			s.Step = session.StepBiometrics
			k.set(s)
			h.q.drain()
			l := h.u.cat.in(lang)
			if !<-guides {
				t.Fatal("no guidance on the camera screen")
			}
			bs, ok := h.u.screen.(*biometricsScreen)
			if !ok {
				t.Fatalf("screen is %T", h.u.screen)
			}
			frame := image.Rect(0, 0, 640, 480)
			h.u.ShowLive(Live{Frame: frame, Face: image.Rect(40, 100, 240, 300), Guidance: "come_closer"})
			h.q.drain()
			if !h.shows(l.T("guide.come_closer")) {
				t.Fatalf("guidance not shown: %q", h.texts())
			}
			r := bs.face.rect
			if !r.Visible() || r.StrokeColor != faceWarn {
				t.Fatal("face frame not shown in amber while guiding")
			}
			// The face is on the camera's left (x 40–240 of 640): in the
			// mirrored preview it is on the right half.
			area := bs.face.obj.Size()
			if mid := r.Position().X + r.Size().Width/2; mid <= area.Width/2 {
				t.Fatalf("face frame centre at %.0f of %.0f: not mirrored", mid, area.Width)
			}

			// An attempt: guidance stops, the capture's own analysis shows
			// with the challenge's countdown.
			s.Busy, s.Challenge = session.OpBiometrics, "turn_left"
			k.set(s)
			h.q.drain()
			if <-guides {
				t.Fatal("guidance went on during the attempt")
			}
			h.u.ShowLive(Live{Frame: frame, Face: image.Rect(200, 100, 400, 300), Guidance: "ok", Challenge: true,
				Remaining: 2500 * time.Millisecond, Progress: 0.4})
			h.q.drain()
			// The green frame, the move — and no "stay like that" beside it.
			if r.StrokeColor != faceGood || h.shows(l.T("guide.ok")) || !h.shows(l.T("challenge.turn_left")) {
				t.Fatalf("attempt not drawn, or its caption contradicts the move: %q", h.texts())
			}
			h.u.ShowLive(Live{Frame: frame, Face: image.Rect(200, 100, 400, 300), Guidance: "more_light", Challenge: true,
				Remaining: 2500 * time.Millisecond, Progress: 0.4})
			h.q.drain()
			if !h.shows(l.T("guide.more_light")) {
				t.Fatalf("quality guidance hidden during the move: %q", h.texts())
			}
			if !h.shows(l.T("bio.countdown", "N", 3)) || !bs.progress.Visible() || bs.progress.Value != 0.4 {
				t.Fatalf("countdown/progress: %q, progress %v", h.texts(), bs.progress.Value)
			}

			// The attempt failed on the kiosk: its message, guidance again.
			s.Busy, s.Err = session.OpNone, session.ErrCameraGone
			k.set(s)
			h.q.drain()
			if !<-guides || !h.shows(l.Err(session.ErrCameraGone)) || bs.progress.Visible() {
				t.Fatalf("after a failed capture: %q", h.texts())
			}
		})
	}
}
