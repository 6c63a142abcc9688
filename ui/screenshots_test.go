package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/camera"
)

// TestScreenshots writes a PNG of every sample screen to $UI_SCREENSHOTS
// (skipped when unset), for a look at layout and lettering without a display.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("UI_SCREENSHOTS")
	if dir == "" {
		t.Skip("set UI_SCREENSHOTS=DIR to write screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"kk", "ru"} {
		for name, s := range sampleStates(lang, time.Now()) {
			k := newFakeKiosk()
			h := newHarness(t, Options{Kiosk: k, Camera: shared(t, camera.NewSynthetic(320, 240, 30)), Demo: &Demo{}})
			k.set(s)
			// Let a camera frame or two arrive for the previews.
			for range 20 {
				h.q.drain()
				time.Sleep(10 * time.Millisecond)
			}
			// The GL driver re-lays out containers whose children's minimum
			// size changed (wrapped text) on every frame; the test canvas
			// does not, so do a few passes by hand.
			settleLayout(h.win.Canvas())
			f, err := os.Create(filepath.Join(dir, lang+"-"+strings.ReplaceAll(name, " ", "_")+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, h.win.Canvas().Capture()); err != nil {
				t.Fatal(err)
			}
			f.Close()
			h.u.stop()
		}
	}
}

// relayout lays o and everything in it out again at their current sizes.
func relayout(o fyne.CanvasObject) {
	switch x := o.(type) {
	case *fyne.Container:
		if x.Layout != nil {
			x.Layout.Layout(x.Objects, x.Size())
		}
		for _, c := range x.Objects {
			relayout(c)
		}
	case fyne.Widget:
		r := test.WidgetRenderer(x)
		r.Layout(x.Size())
		for _, c := range r.Objects() {
			relayout(c)
		}
	}
}

// settleLayout lays the canvas out again as the GL driver would on the next
// frames (wrapped text changes its minimum height once laid out: see
// TestScreenshots).
func settleLayout(c fyne.Canvas) {
	for range 3 {
		relayout(c.Content())
		for _, o := range c.Overlays().List() {
			relayout(o)
		}
	}
}
