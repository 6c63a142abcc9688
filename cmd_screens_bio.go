package main

import (
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"fyne.io/fyne/v2"

	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/ui"
)

// bioMoveShot names the camera screen photographed mid-sequence: the
// provider's second move asked (the only one of a one-move sequence), the
// first done, the drawn subscriber starting to turn.
const bioMoveShot = "biometrics-move"

// withBioMoves photographs the camera screen during the attempt that the
// step to the EDS rules starts, before that step waits for its screen.
func (d *screenDriver) withBioMoves(ctx context.Context, lang string, steps []driveStep) []driveStep {
	i := slices.IndexFunc(steps, func(st driveStep) bool { return st.want == session.StepEDSRules })
	if i < 0 {
		return steps
	}
	out := slices.Clone(steps)
	start := out[i].act
	out[i].act = func() error {
		// The step's act returns once the provider has judged the attempt
		// (it starts again on a retry), so the shot is watched for beside it.
		shot := make(chan error, 1)
		go func() { shot <- d.shotBioMove(ctx, lang+"-"+bioMoveShot+d.suffix) }()
		err := start()
		if serr := <-shot; err == nil {
			err = serr
		}
		return err
	}
	return out
}

// shotBioMove waits until the move to photograph is three quarters done, the face
// well into it, and takes the shot at once: shot's settling pause would
// let the move finish first.
func (d *screenDriver) shotBioMove(ctx context.Context, name string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var b ui.BioShot
		fyne.DoAndWait(func() { b = d.ui.BioForScreens() })
		if b.Moves > 0 && b.Phase == ui.LiveMove && b.Move == min(1, b.Moves-1) && b.Progress >= 0.75 {
			return d.grab(name)
		}
		if !b.Shown || b.Phase == ui.LiveDone || b.Move > 1 {
			return fmt.Errorf("%s: the attempt went past the move to photograph (%+v)", name, b)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: waiting for the move: %+v", name, b)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// grab saves the X root window now (ImageMagick's import), else the
// window's canvas.
func (d *screenDriver) grab(name string) error {
	path := filepath.Join(d.out, name+".png")
	d.count++
	if os.Getenv("DISPLAY") != "" {
		if imp, err := exec.LookPath("import"); err == nil {
			if out, err := exec.Command(imp, "-window", "root", path).CombinedOutput(); err != nil {
				return fmt.Errorf("import: %w: %s", err, out)
			}
			return nil
		}
	}
	var err error
	fyne.DoAndWait(func() {
		var f *os.File
		if f, err = os.Create(path); err != nil {
			return
		}
		defer f.Close()
		err = png.Encode(f, d.win.Canvas().Capture())
	})
	return err
}
