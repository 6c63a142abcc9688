package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	_ "image/png" // the demo ticket's QR
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/camera"
	"almatel.kz/signkiosk/ui"
)

// runProbe opens the demo kiosk full screen, takes it to one screen and
// keeps it there, so that scripts/probe.sh can read what the process costs
// on that screen from /proc (docs/BENCHMARKS.md). With --tickets N it then
// holds N demo tickets up to the camera, one after another, and says how
// long each took from being held up to the welcome screen. A developer
// tool, not for the office.
func runProbe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	screen := fs.String("screen", "idle", "the screen to hold: idle or camera (the biometrics step, before Start)")
	source := fs.String("camera", "synthetic", "synthetic (the demo's 640×480) or simulated-v4l2 (an MJPEG webcam through the V4L2 path)")
	fps := fs.Int("fps", 30, "the camera's frame rate")
	hold := fs.Duration("for", 0, "leave after this long on the screen (0: until interrupted)")
	tickets := fs.Int("tickets", 0, "idle: hold this many tickets up to the camera and time each read")
	sessions := fs.Int("sessions", 0, "idle: walk this many whole demo sessions, one after another, and print the memory after each")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the time on the screen to this file (go tool pprof)")
	memProfile := fs.String("memprofile", "", "write a heap profile at the end to this file (go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case *screen != "idle" && *screen != "camera":
		fmt.Fprintf(stderr, "probe: --screen %q is not idle or camera\n", *screen)
		return 2
	case *source != "synthetic" && *source != "simulated-v4l2":
		fmt.Fprintf(stderr, "probe: --camera %q is not synthetic or simulated-v4l2\n", *source)
		return 2
	case *fps < 1 || *fps > 60:
		fmt.Fprintf(stderr, "probe: --fps %d is not 1…60\n", *fps)
		return 2
	case *sessions < 0 || *sessions > 1000:
		fmt.Fprintf(stderr, "probe: --sessions %d is not 0…1000\n", *sessions)
		return 2
	case *sessions > 0 && *screen != "idle":
		fmt.Fprintf(stderr, "probe: --sessions starts from the idle screen, not %s\n", *screen)
		return 2
	}
	tuneKioskGC() // as the kiosk
	fmt.Fprintf(stdout, "probe: mjpeg decoder %s\n", camera.MJPEGDecoderName)
	data, err := os.MkdirTemp("", "signkiosk-probe-")
	if err != nil {
		fmt.Fprintf(stderr, "probe: %v\n", err)
		return 1
	}
	defer os.RemoveAll(data)
	cfg, err := config.LoadDemo(data)
	if err != nil {
		fmt.Fprintf(stderr, "probe: %v\n", err)
		return 2
	}
	cfg.Camera.Source, cfg.Camera.FPS = *source, *fps
	gate := make(chan struct{}) // the sessions' sign calls wait on it
	k, err := assemble(cfg, io.Discard, io.Discard, portWraps{Provider: func(p kiosk.Provider) kiosk.Provider {
		return gatedSign{Provider: p, gate: gate}
	}})
	if err != nil {
		fmt.Fprintf(stderr, "probe: %v\n", err)
		return 1
	}
	defer k.close()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go k.runner.Run(runCtx)
	a := app.NewWithID("kz.almatel.signkiosk.probe")
	w := a.NewWindow("AlmaTel signkiosk")
	u := ui.New(w, ui.Options{Kiosk: k.runner, Camera: k.camera, Look: k.look, Demo: k.demoUI, Log: k.log, Staff: k.staff.options(func() { fyne.Do(a.Quit) })})
	k.live.attach(u)
	w.SetFullScreen(true)
	failed := false
	go func() {
		defer fyne.Do(a.Quit)
		walk := probeWalk{screen: *screen, tickets: *tickets, sessions: *sessions, hold: *hold, cpuProfile: *profile, memProfile: *memProfile}
		if err := walk.run(runCtx, sessionDriver{k: k, signGate: gate}, u, stdout); err != nil && runCtx.Err() == nil {
			fmt.Fprintf(stderr, "probe: %v\n", err)
			failed = true
		}
	}()
	w.ShowAndRun() // the walk quits it, when done or interrupted
	if failed {
		return 1
	}
	return 0
}

// probeWalk is what the probe does once the window is up.
type probeWalk struct {
	screen     string
	tickets    int
	sessions   int
	hold       time.Duration
	cpuProfile string
	memProfile string
}

// run takes the kiosk to its screen, says so on stdout ("probe: on idle"),
// times the tickets, walks the sessions, then stays until hold has passed or
// ctx ends, and says how many preview frames a second were shown.
func (p probeWalk) run(ctx context.Context, drv sessionDriver, u *ui.UI, stdout io.Writer) error {
	k, screen, profile := drv.k, p.screen, p.cpuProfile
	if !sleepCtx(ctx, 2*time.Second) { // the window maps and draws
		return ctx.Err()
	}
	if screen == "camera" {
		for _, st := range drv.steps(ctx)[:5] { // welcome, code, review, privacy, biometrics
			if err := drv.do(ctx, st); err != nil {
				return fmt.Errorf("to the camera screen: %s: %w", st.name, err)
			}
		}
	}
	fmt.Fprintf(stdout, "probe: on %s (pid %d)\n", screen, os.Getpid())
	// At the end: the preview frames that reached the screen a second.
	start, frames := time.Now(), u.PreviewFrames()
	defer func() {
		took := time.Since(start)
		fmt.Fprintf(stdout, "probe: preview %.1f fps over %v\n", float64(u.PreviewFrames()-frames)/took.Seconds(), took.Round(time.Second))
	}()
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if p.memProfile != "" {
		defer func() {
			if err := writeHeapProfile(p.memProfile); err != nil {
				fmt.Fprintf(stdout, "probe: %v\n", err)
			}
		}()
	}
	if p.tickets > 0 {
		if err := probeTickets(ctx, k, drv, p.tickets, stdout); err != nil {
			return err
		}
	}
	if p.sessions > 0 {
		if err := probeSessions(ctx, drv, p.sessions, stdout); err != nil {
			return err
		}
	}
	if p.hold > 0 {
		sleepCtx(ctx, p.hold)
		return nil
	}
	<-ctx.Done()
	return nil
}

// probeSessions walks n whole sessions on the window and prints the memory
// before the first and after each: flat means nothing a visit leaves
// behind accumulates (issue 15).
func probeSessions(ctx context.Context, drv sessionDriver, n int, stdout io.Writer) error {
	first, err := readMem()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "probe: sessions: before %s\n", first)
	var after []memFigures
	for i := range n {
		if err := drv.whole(ctx); err != nil {
			return fmt.Errorf("session %d: %w", i+1, err)
		}
		m, err := readMem()
		if err != nil {
			return err
		}
		after = append(after, m)
		fmt.Fprintf(stdout, "probe: sessions: after %d: %s\n", i+1, m)
	}
	// From the 5th session on (the first ones warm what every screen keeps:
	// its textures, the document's fonts, the provider's keys, the demo
	// camera's sprites for the moves asked so far): the in-session figure.
	w := min(5, n) - 1
	a, b := after[w], after[len(after)-1]
	fmt.Fprintf(stdout, "probe: sessions: %d whole sessions, from session %d to the last: rss %+.1f MB, live heap %+.1f MB, goroutines %+d\n",
		n, w+1, mb(b.RSS)-mb(a.RSS), mb(b.Live)-mb(a.Live), b.Goroutines-a.Goroutines)
	// Then idle, as between two visits: what the kiosk holds once it has
	// let go of the sessions (idleRelease's last release, and a little).
	settle := defaultReleaseAfter[len(defaultReleaseAfter)-1] + 5*time.Second
	if !sleepCtx(ctx, settle) {
		return ctx.Err()
	}
	rss, err := readRSS()
	if err != nil {
		return err
	}
	m, err := readMem()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "probe: sessions: idle %v after the last: rss %.1f MB (%+.1f over before the first), live heap %.1f MB, go runtime holds %.1f MB\n",
		settle, mb(rss), mb(rss)-mb(first.RSS), mb(m.Live), mb(m.GoHeld))
	return nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	return nil
}

// probeTickets holds n fresh demo tickets up to the camera, each after 3 s
// on the idle screen (the scanner is then at its idle pace), and prints the
// time from holding it up to the welcome screen: what staff wait for.
func probeTickets(ctx context.Context, k *kioskParts, drv sessionDriver, n int, stdout io.Writer) error {
	var took []time.Duration
	for i := range n {
		if !sleepCtx(ctx, 3*time.Second) {
			return ctx.Err()
		}
		_, path, err := k.demo.NewTicket()
		if err != nil {
			return err
		}
		pic, err := loadPicture(path)
		if err != nil {
			return err
		}
		start := time.Now()
		k.camera.Hold(pic)
		for k.runner.State().Step == session.StepIdle {
			if time.Since(start) > 20*time.Second {
				k.camera.Hold(nil)
				return fmt.Errorf("ticket %d held up for 20 s and not read", i+1)
			}
			if !sleepCtx(ctx, 5*time.Millisecond) {
				return ctx.Err()
			}
		}
		took = append(took, time.Since(start))
		k.camera.Hold(nil)
		k.runner.Dispatch(session.Cancel{})
		if err := drv.waitStep(ctx, session.StepEnded, true); err != nil {
			return err
		}
		k.runner.Dispatch(session.Finish{})
		if err := drv.waitStep(ctx, session.StepIdle, true); err != nil {
			return err
		}
	}
	slices.Sort(took)
	fmt.Fprintf(stdout, "probe: %d tickets held up → welcome screen: median %v, max %v\n",
		len(took), took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
	return nil
}

func loadPicture(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ticket picture: %w", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("ticket picture: %w", err)
	}
	return img, nil
}

// sleepCtx waits d or until ctx ends; false means ctx ended.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	return camera.RealClock{}.Sleep(ctx, d) == nil
}
