package ui

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

// snapshotTime is the fixed clock of the snapshots: nothing on them may
// depend on when the test runs.
var snapshotTime = time.Date(2026, time.March, 2, 10, 30, 0, 0, time.UTC)

// TestScreenSnapshots compares the markup of every sample screen (and the
// overlays) in Kazakh and Russian with the masters in
// testdata/snapshots/<lang>/<screen>.xml: a change to any screen's layout
// or text shows up as a diff to review.
//
// The UI has no camera (the live preview changes every frame) and a fixed
// clock (the resend countdown), and the states are built at snapshotTime.
//
// To (re)generate the masters after an intended change, delete the ones
// that changed (or all: rm -r ui/testdata/snapshots), run
//
//	go test -run TestScreenSnapshots ./ui/
//
// which fails and writes the new markup under ui/testdata/failed/, review
// it, then move it into place:
//
//	cp -r ui/testdata/failed/snapshots ui/testdata/ && rm -r ui/testdata/failed
func TestScreenSnapshots(t *testing.T) {
	for _, lang := range []string{"kk", "ru"} {
		states := sampleStates(lang, snapshotTime)
		names := slices.Sorted(maps.Keys(states))
		for _, name := range names {
			t.Run(lang+"/"+name, func(t *testing.T) {
				k := newFakeKiosk()
				k.now = snapshotTime
				h := newHarness(t, Options{Kiosk: k, Now: func() time.Time { return snapshotTime }})
				k.set(states[name])
				h.q.drain()
				// Lay wrapped text out again as the GL driver would on the
				// next frames (see TestScreenshots).
				settleLayout(h.win.Canvas())
				file := "snapshots/" + lang + "/" + strings.ReplaceAll(name, " ", "_") + ".xml"
				test.AssertRendersToMarkup(t, file, h.win.Canvas())
			})
		}
	}
}
