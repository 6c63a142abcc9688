package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"almatel.kz/signkiosk/app/cades"
	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/ui"
)

// runScreens opens the real kiosk window in demo mode and walks it through
// every screen in each language, saving a screenshot of each: with
// ImageMagick's `import -window root` when there is an X display (what a
// person sees), else from the window's canvas. `make screenshots` runs it
// under Xvfb. A developer tool, not for the office.
func runScreens(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("screens", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "docs/screens", "folder for the PNG files")
	size := fs.String("size", "1920x1080", "window size WxH")
	langs := fs.String("langs", "kk,ru", "languages, comma-separated")
	suffix := fs.String("suffix", "", "added to each file name (e.g. -portrait)")
	probe := fs.Duration("probe", 0, "on the camera screen, measure the preview's frame rate and the UI thread's longest stall for this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var w, h float32
	if _, err := fmt.Sscanf(*size, "%fx%f", &w, &h); err != nil || w < 100 || h < 100 {
		fmt.Fprintf(stderr, "screens: --size %q is not WxH\n", *size)
		return 2
	}
	data, err := os.MkdirTemp("", "signkiosk-screens-")
	if err != nil {
		fmt.Fprintf(stderr, "screens: %v\n", err)
		return 1
	}
	defer os.RemoveAll(data)
	cfg, err := config.LoadDemo(data)
	if err != nil {
		fmt.Fprintf(stderr, "screens: %v\n", err)
		return 2
	}
	signGate := make(chan struct{})
	seal := &heldSeal{}
	k, err := assemble(cfg, io.Discard, io.Discard, portWraps{
		Provider: func(p kiosk.Provider) kiosk.Provider { return gatedSign{Provider: p, gate: signGate} },
		Sealer:   func(s kiosk.Sealer) kiosk.Sealer { seal.Sealer = s; return seal },
	})
	if err != nil {
		fmt.Fprintf(stderr, "screens: %v\n", err)
		return 1
	}
	defer k.close()
	// The staff menu's PIN: the demo prints a random one; the tool needs to
	// know it, so it sets its own the same way.
	pin, hashed, err := demoPIN()
	if err != nil {
		fmt.Fprintf(stderr, "screens: %v\n", err)
		return 1
	}
	k.staff.pin = hashed
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "screens: %v\n", err)
		return 1
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go k.runner.Run(runCtx)
	a := app.NewWithID("kz.almatel.signkiosk.screens")
	win := a.NewWindow("AlmaTel signkiosk")
	u := ui.New(win, ui.Options{Kiosk: k.runner, Camera: k.camera, Look: k.look, Demo: k.demoUI, Log: k.log, Staff: k.staff.options(func() { fyne.Do(a.Quit) })})
	k.live.attach(u)
	win.Resize(fyne.NewSize(w, h))
	win.SetFixedSize(true)

	d := &screenDriver{k: k, win: win, out: *out, suffix: *suffix, stderr: stderr, stdout: stdout, signGate: signGate, seal: seal, ui: u, probe: *probe, staffPIN: pin}
	go func() {
		err := d.walk(runCtx, strings.Split(*langs, ","))
		if err != nil {
			fmt.Fprintf(stderr, "screens: %v\n", err)
			d.failed = true
		} else {
			fmt.Fprintf(stdout, "screens: %d screenshots in %s\n", d.count, *out)
		}
		fyne.Do(a.Quit)
	}()
	win.ShowAndRun()
	if d.failed {
		return 1
	}
	return 0
}

type screenDriver struct {
	k        *kioskParts
	win      fyne.Window
	out      string
	suffix   string
	stderr   io.Writer
	stdout   io.Writer
	signGate chan struct{}
	seal     *heldSeal
	count    int
	failed   bool
	ui       *ui.UI
	probe    time.Duration
	changes  []time.Duration // screen changes seen (LastScreenChange)
	slowest  string          // the step whose change took longest
	staffPIN string
}

func (d *screenDriver) walk(ctx context.Context, langs []string) error {
	r := d.k.runner
	drv := sessionDriver{k: d.k, signGate: d.signGate}
	time.Sleep(1500 * time.Millisecond) // the window maps and draws
	for _, lang := range langs {
		r.SetLang(lang)
		steps := append([]driveStep{{"idle", nil, session.StepIdle}}, d.withSealRetry(ctx, d.withBioMoves(ctx, lang, drv.steps(ctx)))...)
		steps = append(steps, driveStep{"ended", func() error {
			r.Dispatch(session.Finish{})
			if err := drv.waitStep(ctx, session.StepIdle, false); err != nil {
				return err
			}
			text, _, err := d.k.demo.NewTicket()
			if err != nil {
				return err
			}
			r.Scan(text)
			if err := drv.waitStep(ctx, session.StepWelcome, true); err != nil {
				return err
			}
			r.Dispatch(session.Cancel{})
			return nil
		}, session.StepEnded})
		for _, st := range steps {
			if err := drv.do(ctx, st); err != nil {
				return fmt.Errorf("%s/%s: %w", lang, st.name, err)
			}
			// A ticket brings its order's language: show each screen in lang.
			if st.want != session.StepIdle && r.State().Lang != lang {
				r.SetLang(lang)
				if err := drv.waitLang(ctx, lang); err != nil {
					return err
				}
			}
			shoot := d.shot
			if st.name == sealRetryShot {
				shoot = func(name string) error { return d.shotSealRetry(ctx, name) }
			}
			if err := shoot(lang + "-" + st.name + d.suffix); err != nil {
				return fmt.Errorf("%s/%s: %w", lang, st.name, err)
			}
			// The seal retry box comes over the signing screen: no new screen.
			if st.want != session.StepIdle && st.name != sealRetryShot {
				took := d.ui.LastScreenChange() // the shot waited for it to draw
				if len(d.changes) == 0 || took > slices.Max(d.changes) {
					d.slowest = lang + "/" + st.name
				}
				d.changes = append(d.changes, took)
			}
			if st.want == session.StepBiometrics && d.probe > 0 {
				d.measure(lang)
			}
			// The largest text size, as a subscriber who needs it sees
			// the code and the privacy screens.
			if st.want == session.StepCode || st.want == session.StepPrivacy {
				if err := d.largeTextShot(lang + "-" + st.name + "-large" + d.suffix); err != nil {
					return fmt.Errorf("%s/%s large: %w", lang, st.name, err)
				}
			}
		}
		r.Dispatch(session.Finish{})
		if err := drv.waitStep(ctx, session.StepIdle, false); err != nil {
			return err
		}
		if err := d.staffShots(ctx, drv, lang); err != nil {
			return fmt.Errorf("%s/staff: %w", lang, err)
		}
	}
	if d.probe > 0 && len(d.changes) > 0 {
		c := slices.Clone(d.changes)
		slices.Sort(c)
		fmt.Fprintf(d.stdout, "probe: %d screen changes, state published → new screen set: median %v, max %v (%s)\n",
			len(c), c[len(c)/2].Round(time.Microsecond), c[len(c)-1].Round(time.Microsecond), d.slowest)
	}
	return nil
}

// largeTextShot shoots the screen at the largest text size, then returns
// it to normal.
func (d *screenDriver) largeTextShot(name string) error {
	fyne.DoAndWait(func() { d.ui.BiggerTextForScreens(2) })
	err := d.shot(name)
	fyne.DoAndWait(func() { d.ui.BiggerTextForScreens(0) })
	return err
}

// shot saves the screen: the X root window when possible, else the canvas.
func (d *screenDriver) shot(name string) error {
	time.Sleep(700 * time.Millisecond) // let the new screen render
	path := filepath.Join(d.out, name+".png")
	d.count++
	// A screen whose content needs more than the window is cut off at an
	// edge: say so, so a layout that does not fit is caught here.
	fyne.DoAndWait(func() {
		c := d.win.Canvas()
		have := c.Size()
		for i, o := range append([]fyne.CanvasObject{c.Content()}, c.Overlays().List()...) {
			if need := o.MinSize(); need.Width > have.Width+1 || need.Height > have.Height+1 {
				what := "screen"
				if i > 0 {
					what = fmt.Sprintf("overlay %d", i)
				}
				fmt.Fprintf(d.stderr, "screens: %s: the %s does not fit: needs %.0f×%.0f, window %.0f×%.0f\n",
					name, what, need.Width, need.Height, have.Width, have.Height)
			}
		}
	})
	if os.Getenv("DISPLAY") != "" {
		if imp, err := exec.LookPath("import"); err == nil {
			cmd := exec.Command(imp, "-window", "root", path)
			if out, err := cmd.CombinedOutput(); err == nil {
				return nil
			} else {
				fmt.Fprintf(d.stderr, "screens: import: %v: %s (using the canvas)\n", err, out)
			}
		}
	}
	var img = make(chan error, 1)
	fyne.DoAndWait(func() {
		pic := d.win.Canvas().Capture()
		f, err := os.Create(path)
		if err != nil {
			img <- err
			return
		}
		defer f.Close()
		img <- png.Encode(f, pic)
	})
	return <-img
}

// measure watches the camera screen for d.probe: how many preview frames
// reach the screen a second, and how long UI work waits for Fyne's thread
// (a no-op posted every 10 ms; its delay is the stall it met).
func (d *screenDriver) measure(lang string) {
	start, frames0 := time.Now(), d.ui.PreviewFrames()
	var delays []time.Duration
	for time.Since(start) < d.probe {
		t0 := time.Now()
		fyne.DoAndWait(func() {})
		delays = append(delays, time.Since(t0))
		time.Sleep(10 * time.Millisecond)
	}
	took := time.Since(start)
	fps := float64(d.ui.PreviewFrames()-frames0) / took.Seconds()
	slices.Sort(delays)
	p99 := delays[len(delays)*99/100]
	fmt.Fprintf(d.stdout, "probe %s: preview %.1f fps over %v; UI thread answered %d probes, longest wait %v, p99 %v, median %v\n",
		lang, fps, took.Round(time.Millisecond), len(delays), delays[len(delays)-1].Round(time.Microsecond),
		p99.Round(time.Microsecond), delays[len(delays)/2].Round(time.Microsecond))
}

// staffShots photographs the hidden staff menu over the idle screen, in the
// kiosk's current language (the menu's): the PIN pad with the PIN typed,
// the menu with the outbox counts, and the menu after a connectivity check
// and a camera test. It opens and works the menu through the paths the
// corner gesture and the taps use.
func (d *screenDriver) staffShots(ctx context.Context, drv sessionDriver, lang string) error {
	d.k.runner.SetLang(lang)
	if err := drv.waitLang(ctx, lang); err != nil {
		return err
	}
	if _, err := d.waitStaff(ctx, "the language on screen", func(s ui.StaffShot) bool { return s.Lang == lang }); err != nil {
		return err
	}
	fyne.DoAndWait(d.ui.OpenStaffForScreens)
	if _, err := d.waitStaff(ctx, "the PIN pad", func(s ui.StaffShot) bool { return s.Shown }); err != nil {
		return err
	}
	fyne.DoAndWait(func() { d.ui.StaffPINForScreens(d.staffPIN, false) })
	if err := d.shot(lang + "-staff-pin" + d.suffix); err != nil {
		return err
	}
	fyne.DoAndWait(func() { d.ui.StaffPINForScreens("", true) })
	if _, err := d.waitStaff(ctx, "the menu", func(s ui.StaffShot) bool {
		return s.Unlocked && !s.Checking && s.Busy == "" && s.Status
	}); err != nil {
		return err
	}
	if err := d.shot(lang + "-staff-menu" + d.suffix); err != nil {
		return err
	}
	// Each action clears the last one's outcome line, but not the
	// connection lines: check first, so both results show.
	fyne.DoAndWait(func() { d.ui.StaffActionForScreens("check") })
	if _, err := d.waitStaff(ctx, "the connectivity check", func(s ui.StaffShot) bool { return s.Busy == "" && s.Conns > 0 }); err != nil {
		return err
	}
	fyne.DoAndWait(func() { d.ui.StaffActionForScreens("camera") })
	if _, err := d.waitStaff(ctx, "the camera test", func(s ui.StaffShot) bool { return s.Busy == "" && s.Result != "" }); err != nil {
		return err
	}
	if err := d.shot(lang + "-staff-checks" + d.suffix); err != nil {
		return err
	}
	fyne.DoAndWait(func() { d.ui.StaffActionForScreens("close") })
	_, err := d.waitStaff(ctx, "the menu to close", func(s ui.StaffShot) bool { return !s.Shown })
	return err
}

// waitStaff polls the staff layer until ok: up to 45 s (the connectivity
// check may wait out its peers' timeouts).
func (d *screenDriver) waitStaff(ctx context.Context, what string, ok func(ui.StaffShot) bool) (ui.StaffShot, error) {
	deadline := time.Now().Add(45 * time.Second)
	for {
		var s ui.StaffShot
		fyne.DoAndWait(func() { s = d.ui.StaffForScreens() })
		if ok(s) {
			return s, nil
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("waiting for %s: %+v", what, s)
		}
		if ctx.Err() != nil {
			return s, ctx.Err()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sealRetryShot names the signing screen with the seal retry box up.
const sealRetryShot = "seal-retry"

// withSealRetry puts the seal retry screen between signing and done, in the
// real flow: the provider's signature is let through with the seal held, so
// the kiosk meets "time-stamp service not answering" and retries by itself;
// done then lets the seal through and waits for that retry to store.
func (d *screenDriver) withSealRetry(ctx context.Context, steps []driveStep) []driveStep {
	i := slices.IndexFunc(steps, func(st driveStep) bool { return st.want == session.StepDone })
	if i < 0 {
		return steps
	}
	sign := steps[i].act
	retry := driveStep{sealRetryShot, func() error {
		d.seal.hold.Store(true)
		if err := sign(); err != nil {
			return err
		}
		_, err := d.waitSealRetry(ctx)
		return err
	}, session.StepSigning}
	done := driveStep{steps[i].name, func() error { d.seal.hold.Store(false); return nil }, session.StepDone}
	return slices.Concat(steps[:i], []driveStep{retry, done}, steps[i+1:])
}

// waitSealRetry waits for the seal retry box: the kiosk waiting to seal
// again after the time-stamp service failed.
func (d *screenDriver) waitSealRetry(ctx context.Context) (session.State, error) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := d.k.runner.State()
		if s.Retry == session.OpSeal && s.Busy == session.OpNone && s.Err == session.ErrTSAUnavailable && !s.RetryAt.IsZero() {
			return s, nil
		}
		if s.Step != session.StepSigning {
			return s, fmt.Errorf("waiting for the seal retry: at %s (%s)", s.Step, s.Err)
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("waiting for the seal retry: busy %s, retry %s, err %q", s.Busy, s.Retry, s.Err)
		}
		if ctx.Err() != nil {
			return s, ctx.Err()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// shotSealRetry photographs the seal retry box; the kiosk retries by itself
// within seconds, so a shot the retry overtook (it rebuilds the box) is
// taken again, of the next wait.
func (d *screenDriver) shotSealRetry(ctx context.Context, name string) error {
	for range 4 {
		before, err := d.waitSealRetry(ctx)
		if err != nil {
			return err
		}
		if err := d.shot(name); err != nil {
			return err
		}
		if after := d.k.runner.State(); after.Retry == session.OpSeal && after.SealAttempts == before.SealAttempts {
			return nil
		}
		d.count--
	}
	return errors.New("the kiosk retried the seal before each shot was taken")
}

// heldSeal fails every seal as the national CA's time-stamp service being
// away while hold is set, so the screens meet the seal retry box the way a
// kiosk does; otherwise the kiosk's sealer seals.
type heldSeal struct {
	kiosk.Sealer
	hold atomic.Bool
}

func (h *heldSeal) Seal(ctx context.Context, cmsDER, document []byte) ([]byte, time.Time, error) {
	if h.hold.Load() {
		return nil, time.Time{}, fmt.Errorf("screens: seal held for its screenshot: %w", cades.ErrTSAUnavailable)
	}
	return h.Sealer.Seal(ctx, cmsDER, document)
}
