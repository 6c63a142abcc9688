package main

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/demo"
	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/logging"
	"almatel.kz/signkiosk/app/ncasim"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/camera"
	"almatel.kz/signkiosk/camera/face"
	"almatel.kz/signkiosk/sync/heartbeat"
	"almatel.kz/signkiosk/sync/outbox"
	"almatel.kz/signkiosk/sync/pki"
	"almatel.kz/signkiosk/sync/uploader"
	"almatel.kz/signkiosk/ui"
)

// runKiosk opens the kiosk window. Without a config it runs the demo: the
// provider simulator in-process and a demo ticket printed at start.
func runKiosk(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	start := time.Now()
	tuneKioskGC()
	cfg, ok := loadKioskConfig(args, stderr)
	if !ok {
		return 2
	}
	k, err := assemble(cfg, stdout, stderr, portWraps{})
	if reason := outOfServiceReason(err); reason != "" {
		// Staff at the kiosk see the screen, not this terminal: say it there,
		// and take no session that could not be stored safely.
		fmt.Fprintf(stderr, "signkiosk: %s\n", oneLineErr(err))
		if showOutOfService(ctx, cfg, reason, storageBack(cfg, err)) {
			return restartSelf(stderr)
		}
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "signkiosk: %v\n", err)
		return exitCode(err)
	}
	defer k.close()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go k.runner.Run(runCtx)
	go k.runSync(runCtx, cfg)
	go k.beat.Run(runCtx)

	a := app.NewWithID("kz.almatel.signkiosk")
	w := a.NewWindow("AlmaTel signkiosk")
	u := ui.New(w, ui.Options{Kiosk: k.runner, Camera: k.camera, Look: k.look, Demo: k.demoUI, Log: k.log, Staff: k.staff.options(func() { fyne.Do(a.Quit) })})
	k.live.attach(u)
	if cfg.UI.Fullscreen {
		w.SetFullScreen(true)
		if !cfg.Demo {
			w.SetCloseIntercept(func() {}) // the subscriber cannot close the kiosk
		}
	} else {
		w.Resize(fyne.NewSize(1280, 800))
	}
	go func() {
		<-runCtx.Done()
		fyne.Do(a.Quit)
	}()
	a.Lifecycle().SetOnStarted(func() {
		// Measured by docs/BENCHMARKS.md's cold start: the window is up
		// with the idle screen in it.
		k.log.Info().Str("event", "kiosk_shown").Dur("since_start_ms", time.Since(start)).Msg("idle screen shown")
	})
	k.log.Info().Str("event", "kiosk_start").Str("kiosk", cfg.KioskID).Bool("demo", cfg.Demo).Str("version", version).
		Dur("since_start_ms", time.Since(start)).Msg("kiosk ready")
	w.ShowAndRun()
	return 0
}

// loadKioskConfig reads the kiosk's flags and its config (demo mode without
// one); false after it has said on stderr what is wrong.
func loadKioskConfig(args []string, stderr io.Writer) (config.Config, bool) {
	fs := flag.NewFlagSet("signkiosk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", os.Getenv(config.EnvConfig), "config file (TOML); none means demo mode")
	windowed := fs.Bool("windowed", false, "a 1280×800 window instead of the full screen (development)")
	if err := fs.Parse(args); err != nil {
		return config.Config{}, false
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "signkiosk: %v\n", err)
		return config.Config{}, false
	}
	if *windowed {
		cfg.UI.Fullscreen = false
	}
	return cfg, true
}

// kioskParts is everything a running kiosk holds, for orderly shutdown.
type kioskParts struct {
	log     zerolog.Logger
	runner  *kiosk.Runner
	camera  *camera.Hub // the one camera, shared by preview, scanner and capture
	live    *liveRelay  // capture analyses → the biometrics screen
	look    func(frame image.Image) ui.Live
	demoUI  *ui.Demo
	demo    *demo.Env // demo mode only
	outbox  *outbox.Outbox
	upload  *uploader.Uploader
	beat    heartbeat.Sender // at start and every 5 minutes, to head office
	staff   *staffOps        // the staff menu's backend
	closers []func()
}

func (k *kioskParts) close() {
	for i := len(k.closers) - 1; i >= 0; i-- {
		k.closers[i]()
	}
}

// portWraps wrap the kiosk's ports, each when not nil: the screenshot
// driver and the self-test hold calls to know where a session is. The zero
// value wraps nothing (the kiosk).
type portWraps struct {
	Provider func(kiosk.Provider) kiosk.Provider
	Sealer   func(kiosk.Sealer) kiosk.Sealer
}

// assemble wires the kiosk from its config: the composition root.
func assemble(cfg config.Config, stdout, stderr io.Writer, wrap portWraps) (*kioskParts, error) {
	k := &kioskParts{}
	fail := func(err error) (*kioskParts, error) { k.close(); return nil, err }

	// The database before the log: the log would make a missing data folder
	// (hiding the real one on a disk not mounted) or fail first, vaguely, on
	// a read-only one.
	dbPath := filepath.Join(cfg.DataDir, "kiosk.db")
	db, err := store.Open(context.Background(), dbPath, dbOptions(cfg)...)
	if err != nil {
		return nil, withStorageHint(err)
	}
	k.closers = append(k.closers, func() { db.Close() })
	probe, err := store.NewProbe(db, dbPath, 0)
	if err != nil {
		return fail(err)
	}
	level, _ := zerolog.ParseLevel(cfg.LogLevel)
	log, logFile, err := logging.Open(filepath.Join(cfg.DataDir, "logs"), stderr, level)
	if err != nil {
		return fail(err)
	}
	k.log = log
	k.closers = append(k.closers, func() { logFile.Close() })
	ledger, err := ticket.NewLedger(db)
	if err != nil {
		return fail(withStorageHint(store.Named(dbPath, err)))
	}
	obKey, err := outbox.LoadOrCreateKey(cfg.Outbox.KeyFile, cfg.Demo)
	if err != nil {
		return fail(config.Fault(err))
	}
	ob, err := outbox.Open(context.Background(), db, obKey, time.Now)
	if err != nil {
		return fail(withStorageHint(store.Named(dbPath, err)))
	}
	k.outbox = ob
	if n, err := ob.Purge(context.Background(), cfg.Outbox.Retention); err != nil {
		log.Warn().Err(err).Msg("purge delivered packages")
	} else if n > 0 {
		log.Info().Int("purged", n).Msg("delivered packages past retention purged (metadata kept)")
	}

	deviceKey, err := pack.LoadOrCreateDeviceKey(cfg.DataDir)
	if err != nil {
		return fail(err)
	}
	var pub []byte
	providerURL, apiKey := cfg.Provider.URL, ""
	headURL, link := cfg.Sync.HeadOfficeURL, func(id string) string { return cfg.Store.LinkBase + id }
	var syncTLS *tls.Config
	tsaURL, ocspURL := cfg.NCA.TSAURL, cfg.NCA.OCSPURL
	var roots *x509.CertPool
	var deviceCert []byte // device.pem: head office's certificate for deviceKey
	if cfg.Demo {
		env, err := demo.Start(cfg.DataDir, cfg.Office, time.Now, log)
		if err != nil {
			return fail(err)
		}
		k.demo = env
		k.closers = append(k.closers, func() { env.Close(context.Background()) })
		pub, providerURL, apiKey = env.TicketPub, env.ProviderURL, demo.APIKey
		tsaURL, ocspURL = env.NCAURL+ncasim.PathTSP, env.NCAURL+ncasim.PathOCSP
		if err := keepDemoRoot(cfg.NCA.Roots, env.RootPEM); err != nil {
			return fail(err)
		}
		if roots, err = loadRoots(cfg.NCA.Roots); err != nil {
			return fail(err)
		}
		ho, err := demo.StartHeadOffice(cfg.DataDir, cfg.KioskID, deviceKey.Public().(ed25519.PublicKey), roots, time.Now, log)
		if err != nil {
			return fail(err)
		}
		k.closers = append(k.closers, func() { ho.Close(context.Background()) })
		headURL, link, syncTLS, deviceCert = ho.URL, ho.Link, ho.ClientTLS, ho.DeviceCert
		// The provider takes biometric frames signed by head office's
		// enrolled kiosks: the demo's simulator trusts its kiosk CA.
		if err := env.Sim.TrustKiosks(ho.KioskCA); err != nil {
			return fail(err)
		}
		// The demo's roots bundle trusts its kiosk CA too, so `signkiosk
		// verify` checks the demo kiosk's packages with no other file.
		if err := keepDemoRoot(cfg.NCA.Roots, ho.KioskCA); err != nil {
			return fail(err)
		}
		k.demoUI = &ui.Demo{
			NewTicketQR: func() (string, error) { _, p, err := env.NewTicket(); return p, err },
		}
		text, png, err := env.NewTicket()
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "demo mode: provider simulator at %s\ndemo ticket (valid 1 h):\n%s\nits QR: %s\n"+
			"the SMS code appears in this terminal as \"simulated SMS from 1414\" (sms_code=…)\n", providerURL, text, png)
	} else {
		p, err := ticket.LoadPublicKey(cfg.Ticket.PublicKey)
		if err != nil {
			return fail(config.Fault(err))
		}
		pub = p
		if apiKey, err = cfg.APIKey(); err != nil {
			return fail(err)
		}
		if syncTLS, err = pki.ClientTLS(cfg.Sync.CACert, cfg.Sync.ClientCert, cfg.Sync.ClientKey); err != nil {
			return fail(config.Fault(fmt.Errorf("sync: %w", err)))
		}
		certPath, err := cfg.Device.CertFile(cfg.Demo)
		if err != nil {
			return fail(err)
		}
		// A certificate for another key or kiosk, or expired, would have
		// every package refused: stop here instead.
		if deviceCert, err = pack.LoadDeviceCert(certPath, deviceKey, cfg.KioskID, time.Now()); err != nil {
			return fail(config.Fault(fmt.Errorf("device.cert: %w", err)))
		}
		if roots, err = loadRoots(cfg.NCA.Roots); err != nil {
			return fail(err)
		}
	}

	k.upload = uploader.New(uploader.Config{
		Queue: uploader.FromOutbox(ob), Client: uploader.NewClient(syncTLS, cfg.Sync.Concurrency), BaseURL: headURL,
		Concurrency: cfg.Sync.Concurrency, MaxAttempts: cfg.Sync.MaxAttempts, MaxBackoff: cfg.Sync.MaxBackoff,
		Timeout: cfg.Sync.Timeout, Now: time.Now, Log: log.With().Str("component", "sync").Logger(),
	})
	src, err := openCamera(cfg, log)
	if err != nil {
		return fail(err)
	}
	analyzer, err := face.NewAnalyzer(face.DefaultConfig())
	if err != nil {
		src.Close()
		return fail(err)
	}
	k.live = &liveRelay{}
	k.look = func(frame image.Image) ui.Live {
		an := analyzer.Analyze(camera.Luma(frame))
		return uiLive(camera.Live{Frame: frame, Face: an.Box, Guidance: an.Guidance, Phase: camera.PhaseWaiting})
	}
	hub := camera.NewHub(src)
	camCtx, camStop := context.WithCancel(context.Background())
	camDone := make(chan struct{})
	go func() { hub.Run(camCtx); close(camDone) }()
	k.camera = hub
	k.closers = append(k.closers, func() { camStop(); hub.Close(); <-camDone })
	k.beat = heartbeat.Sender{Client: uploader.NewClient(syncTLS, 1), BaseURL: headURL, Now: time.Now,
		Log: log.With().Str("component", "heartbeat").Logger(),
		Collect: beatCollector{version: version, configHash: configHash(cfg), dataDir: cfg.DataDir,
			outbox: ob, camera: hub, now: time.Now}.collect}

	var prov kiosk.Provider = provider.NewClient(providerURL, apiKey, nil, cfg.Provider.Timeout)
	if wrap.Provider != nil {
		prov = wrap.Provider(prov)
	}
	var sealer kiosk.Sealer = newSealer(tsaURL, ocspURL, roots, cfg.NCA.Timeout)
	if wrap.Sealer != nil {
		sealer = wrap.Sealer(sealer)
	}
	k.runner = kiosk.New(kiosk.Config{
		Machine:  session.Machine{Limits: cfg.Limits()},
		Now:      time.Now,
		Log:      log,
		Provider: prov,
		KioskID:  cfg.KioskID,
		Camera:   camera.Capturer{Source: hub.Reader(), Analyzer: analyzer, Now: time.Now, OnLive: k.live.show},
		Attester: kiosk.DeviceAttester{Key: deviceKey, Cert: deviceCert,
			Camera: func() kiosk.CameraIdentity { return kiosk.CameraIdentity(hub.Identity()) }},
		Tickets: kiosk.Gate{Verifier: ticket.Verifier{PublicKey: pub, Office: cfg.Office, Skew: cfg.Ticket.ClockSkew}, Ledger: ledger,
			// The office-wide ledger: a ticket works once in the office.
			Office: uploader.TicketClaims{Client: uploader.NewClient(syncTLS, 1), BaseURL: headURL}, Log: log},
		Store: kiosk.PackageStore{KioskID: cfg.KioskID, Version: version, DeviceKey: deviceKey, DeviceCert: deviceCert,
			Sink: outboxSink{ob: ob, delivered: k.upload.Trigger}, Link: link,
			Camera: func() kiosk.CameraIdentity { return kiosk.CameraIdentity(hub.Identity()) }},
		Docs:    kiosk.PDFDocuments{},
		Sealer:  sealer,
		Storage: probe,
		// A session that ends before signing: its signed, PII-free record
		// goes to head office with the next sync (docs/FAILED_SESSIONS.md).
		Failed: kiosk.FailedSessionStore{KioskID: cfg.KioskID, Version: version, DeviceKey: deviceKey, DeviceCert: deviceCert,
			Queue: ob, Camera: func() kiosk.CameraIdentity { return kiosk.CameraIdentity(hub.Identity()) }},
	})
	k.runner.SetDefaultLang(cfg.UI.DefaultLang)
	rel := &idleRelease{clock: camera.RealClock{}, after: defaultReleaseAfter, release: releaseMemory}
	k.runner.Subscribe(func(s session.State) { rel.observe(context.Background(), s) })
	k.closers = append(k.closers, rel.stop)
	purgeTickets(ledger, log)
	k.staff, err = newStaffOps(cfg, stdout, staffParts{
		outbox: ob, upload: k.upload, camera: hub.Reader, setLang: k.runner.SetDefaultLang,
		providerURL: providerURL, providerKey: apiKey, headOfficeURL: headURL, syncTLS: syncTLS,
	})
	if err != nil {
		return fail(err)
	}
	return k, nil
}

// liveRelay hands the capture's analyses to the UI, which is made after
// the runner that owns the capture.
type liveRelay struct{ u atomic.Pointer[ui.UI] }

func (r *liveRelay) attach(u *ui.UI) { r.u.Store(u) }

func (r *liveRelay) show(l camera.Live) {
	if u := r.u.Load(); u != nil {
		u.ShowLive(uiLive(l))
	}
}

// uiLive is what the screen draws of an analysed frame (not the frame: the
// preview has its own).
func uiLive(l camera.Live) ui.Live {
	v := ui.Live{Face: l.Face, Guidance: l.Guidance, Move: l.Move, Remaining: l.Remaining, Progress: l.Progress}
	if l.Frame != nil {
		v.Frame = l.Frame.Bounds()
	}
	// The screen reads the sequence on its own thread: a copy. A capture
	// that names only the move asked is a sequence of that one move.
	v.Moves = append([]string(nil), l.Moves...)
	if len(v.Moves) == 0 && l.Challenge != "" {
		v.Moves = []string{l.Challenge}
	}
	switch {
	case len(v.Moves) == 0:
		v.Moves, v.Phase = nil, ui.LiveGuide
	case l.Phase == camera.PhaseChallenge:
		v.Phase = ui.LiveMove
	case l.Phase == camera.PhaseMoveDone:
		v.Phase = ui.LiveMoveDone
	case l.Phase == camera.PhaseDone:
		v.Phase = ui.LiveDone
	default:
		v.Phase = ui.LiveWaiting
	}
	return v
}

// openCamera opens the configured frame source. A webcam that is missing or
// busy at start does not stop the kiosk: the screens say so (and staff can
// load a ticket picture) until it appears.
func openCamera(cfg config.Config, log zerolog.Logger) (camera.Source, error) {
	switch cfg.Camera.Source {
	case "folder":
		return camera.NewFolder(cfg.Camera.Folder, cfg.Camera.FPS)
	case "v4l2":
		c := cfg.Camera
		policy, err := camera.NewPolicy(c.Allow, c.AllowDrivers)
		if err != nil {
			return nil, config.Fault(err)
		}
		vc := camera.V4L2Config{Device: c.Device, BusInfo: c.BusInfo, MaxWidth: c.MaxWidth, MaxHeight: c.MaxHeight, FPS: c.FPS,
			Policy: policy, Log: log.With().Str("component", "camera").Logger()}
		said, first := "", true // the last failure logged, by its code: each kind once
		return camera.NewReopening(func(ctx context.Context) (camera.Source, error) {
			v, err := camera.OpenV4L2(ctx, vc)
			if err != nil {
				if code := camera.ErrorCode(err); first || code != said {
					said, first = code, false
					logCameraFault(log, err, policy)
				}
				return nil, err
			}
			st, id := v.Stats(), v.Identity()
			log.Info().Str("event", "camera_open").Str("device", st.Device).Str("bus", st.BusInfo).Str("usb", id.USBID()).
				Str("driver", id.Driver).Str("card", id.Card).Stringer("format", st.Format).Msg("camera opened")
			return v, nil
		}, 2*time.Second), nil
	}
	if cfg.Camera.Source == "simulated-v4l2" {
		c := cfg.Camera
		return camera.OpenSimulatedV4L2(context.Background(), camera.V4L2Config{MaxWidth: c.MaxWidth, MaxHeight: c.MaxHeight,
			Log: log.With().Str("component", "camera").Logger()}, c.MaxWidth, c.MaxHeight, c.FPS)
	}
	return camera.NewSynthetic(640, 480, cfg.Camera.FPS), nil
}

// purgeTickets drops used-ticket ids that have expired (they cannot be
// replayed any more: the ticket itself is refused as expired).
func purgeTickets(l *ticket.Ledger, log zerolog.Logger) {
	if err := l.Purge(context.Background(), time.Now()); err != nil {
		log.Warn().Err(err).Msg("purge used tickets")
	}
}

// outboxSink keeps packages in the outbox: the package and the "signed"
// record go in one transaction, so once done shows nothing can lose it.
// Then it asks the uploader to deliver now: the done screen's link works as
// soon as head office holds the package; the nightly window catches up
// whatever could not go at once.
type outboxSink struct {
	ob        *outbox.Outbox
	delivered func() // uploader.Trigger
}

func (o outboxSink) Keep(ctx context.Context, b kiosk.Built) error {
	if err := o.ob.Enqueue(ctx, outbox.Package{ID: b.ID, TicketID: b.TicketID, SignedAt: b.SignedAt, Zip: b.Zip}); err != nil {
		return err
	}
	o.delivered()
	return nil
}

// runSync delivers the outbox on the nightly schedule (and when triggered)
// until ctx ends.
func (k *kioskParts) runSync(ctx context.Context, cfg config.Config) {
	loc, err := time.LoadLocation(cfg.Sync.TimeZone)
	if err != nil { // validated with the config; keep the kiosk up regardless
		loc = time.UTC
	}
	err = k.upload.Run(ctx, uploader.Schedule{Start: cfg.Sync.WindowStart, End: cfg.Sync.WindowEnd, Loc: loc, CatchUp: cfg.Sync.CatchUp})
	if err != nil && ctx.Err() == nil {
		k.log.Error().Err(err).Msg("sync stopped")
	}
}
