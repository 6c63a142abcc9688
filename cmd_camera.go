package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/camera"
)

const cameraUsage = `usage:
  signkiosk camera list [--config FILE]
  signkiosk camera test [--device PATH | --bus BUSINFO] [--seconds N] [--config FILE]
  signkiosk camera test --source synthetic|folder [--folder DIR] [--seconds N]

list: every video capture device: path, card, driver, bus info, USB
vendor:product and its formats with frame sizes, and whether the kiosk
takes it under the config's [camera] allow and allow_drivers (virtual
cameras never); exit 1 when it would take none. test: opens the camera (the
config's, else the one selected, else the first the config allows), reads
for N seconds and prints resolution, format, fps and dropped frames. Frames
are never saved or shown.

`

// runCamera handles "signkiosk camera": exit 0 ok, 1 no camera or the camera
// failed, 2 bad usage or config.
func runCamera(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, cameraUsage)
		return 2
	}
	switch args[0] {
	case "list":
		return cameraList(args[1:], stdout, stderr)
	case "test":
		return cameraTest(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, cameraUsage)
		return 0
	}
	fmt.Fprintf(stderr, "camera: unknown subcommand %q (list or test)\n", args[0])
	return 2
}

func cameraList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("camera list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", os.Getenv(config.EnvConfig), "config `file` (TOML) whose [camera] allow-list is applied")
	fs.Usage = func() { fmt.Fprint(stderr, cameraUsage); printFlags(fs, stderr) }
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "camera list: unexpected argument %q\n", rest[0])
		return 2
	}
	var policy camera.Policy
	if *cfgPath != "" {
		cfg, err := config.Load(*cfgPath)
		if err == nil {
			policy, err = camera.NewPolicy(cfg.Camera.Allow, cfg.Camera.AllowDrivers)
		}
		if err != nil {
			fmt.Fprintf(stderr, "camera list: %v\n", err)
			return 2
		}
	}
	return listCameras(stdout, stderr, camera.ListV4L2, policy)
}

// listCameras prints the devices list gives and what policy makes of each.
func listCameras(stdout, stderr io.Writer, list func() ([]camera.DeviceInfo, error), policy camera.Policy) int {
	devs, err := list()
	if err != nil {
		fmt.Fprintf(stderr, "camera list: %v\n", err)
		return 1
	}
	if len(devs) == 0 {
		if nodes, _ := filepath.Glob("/dev/video*"); len(nodes) > 0 {
			fmt.Fprintf(stderr, "no camera found (%d /dev/video* nodes, none a capture device)\n", len(nodes))
		} else {
			fmt.Fprintln(stderr, "no camera found (/dev/video* absent)")
		}
		return 1
	}
	taken := 0
	for _, d := range devs {
		usb := d.Identity().USBID()
		if usb == "" {
			usb = "none"
		}
		fmt.Fprintf(stdout, "%s  card=%q  driver=%q  bus=%s  usb=%s\n", d.Path, d.Card, d.Driver, d.BusInfo, usb)
		for _, f := range d.Formats {
			sizes := make([]string, 0, len(f.Sizes))
			for _, s := range f.Sizes {
				sz := fmt.Sprintf("%dx%d", s.W, s.H)
				if len(s.FPS) > 0 {
					rates := make([]string, len(s.FPS))
					for i, r := range s.FPS {
						rates[i] = fmt.Sprintf("%g", r)
					}
					sz += "@" + strings.Join(rates, ",")
				}
				sizes = append(sizes, sz)
			}
			fmt.Fprintf(stdout, "  %s  %-24q %s\n", camera.FourCCString(f.FourCC), f.Description, strings.Join(sizes, " "))
		}
		if len(d.Formats) == 0 {
			fmt.Fprintln(stdout, "  (formats unreadable: the device may be busy)")
		}
		fmt.Fprintf(stdout, "  kiosk: %s\n", verdict(d.Identity(), policy))
		if policy.Check(d.Identity()) == nil {
			taken++
		}
	}
	fmt.Fprintf(stdout, "allowed by the config: %s\n", policy)
	if taken == 0 {
		fmt.Fprintf(stderr, "no camera the kiosk would take (%d refused)\n", len(devs))
		return 1
	}
	return 0
}

// verdict says whether the kiosk takes a camera under policy, and why not.
func verdict(id camera.Identity, policy camera.Policy) string {
	err := policy.Check(id)
	switch {
	case err == nil:
		return "takes it"
	case errors.Is(err, camera.ErrVirtualCamera):
		return "refuses it: a virtual camera (always refused)"
	}
	return "refuses it: not allowed by " + policy.String()
}

type cameraTestFlags struct {
	source, folder, device, bus, cfgPath string
	seconds, fps                         int
}

func cameraTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("camera test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f cameraTestFlags
	fs.StringVar(&f.source, "source", "", "frame source: v4l2, synthetic or folder (default: the config's, else v4l2)")
	fs.StringVar(&f.folder, "folder", "", "pictures `dir` for --source folder")
	fs.StringVar(&f.device, "device", "", "v4l2 device `path` (/dev/videoN)")
	fs.StringVar(&f.bus, "bus", "", "v4l2 camera by `bus info` (see 'camera list')")
	fs.StringVar(&f.cfgPath, "config", os.Getenv(config.EnvConfig), "config `file` (TOML) whose [camera] is tested")
	fs.IntVar(&f.seconds, "seconds", 5, "how long to read")
	fs.IntVar(&f.fps, "fps", 0, "frame rate to ask for (default: the config's, else 30 for synthetic/folder, the driver's for v4l2)")
	fs.Usage = func() { fmt.Fprint(stderr, cameraUsage); printFlags(fs, stderr) }
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "camera test: unexpected argument %q\n", rest[0])
		return 2
	}
	cc, err := f.camConfig()
	if err != nil {
		fmt.Fprintf(stderr, "camera test: %v\n", err)
		return 2
	}
	src, format, err := openTestSource(ctx, cc)
	if err != nil {
		fmt.Fprintf(stderr, "camera test: %s\n", oneLineErr(err))
		return 1
	}
	defer src.Close()
	return measureSource(ctx, src, format, time.Duration(f.seconds)*time.Second, stdout, stderr)
}

// camConfig merges the config file's [camera] (when given) with the flags
// and checks the result.
func (f cameraTestFlags) camConfig() (config.Camera, error) {
	cc := config.Camera{Source: "v4l2"}
	if f.cfgPath != "" {
		cfg, err := config.Load(f.cfgPath)
		if err != nil {
			return cc, err
		}
		cc = cfg.Camera
	}
	if f.source != "" {
		cc.Source = f.source
	}
	if f.folder != "" {
		cc.Folder = f.folder
	}
	if f.device != "" || f.bus != "" {
		cc.Device, cc.BusInfo = f.device, f.bus
	}
	if f.fps != 0 {
		cc.FPS = f.fps
	}
	switch {
	case f.seconds <= 0 || f.seconds > 3600:
		return cc, fmt.Errorf("--seconds %d: want 1..3600", f.seconds)
	case f.fps < 0 || f.fps > 240:
		return cc, fmt.Errorf("--fps %d: want 1..240", f.fps)
	case f.device != "" && f.bus != "":
		return cc, errors.New("--device and --bus: give one")
	case cc.Source != "v4l2" && (f.device != "" || f.bus != ""):
		return cc, fmt.Errorf("--device/--bus need --source v4l2, not %q", cc.Source)
	case cc.Source == "folder" && cc.Folder == "":
		return cc, errors.New("--source folder needs --folder DIR")
	case cc.Source != "v4l2" && cc.Source != "synthetic" && cc.Source != "folder":
		return cc, fmt.Errorf("--source %q: want v4l2, synthetic or folder", cc.Source)
	}
	return cc, nil
}

// openTestSource opens the source and names its format for the report.
func openTestSource(ctx context.Context, cc config.Camera) (camera.Source, func() string, error) {
	fps := cc.FPS
	if fps <= 0 {
		fps = 30
	}
	switch cc.Source {
	case "synthetic":
		return camera.NewSynthetic(640, 480, fps), func() string { return "synthetic RGBA" }, nil
	case "folder":
		src, err := camera.NewFolder(cc.Folder, fps)
		return src, func() string { return "folder pictures" }, err
	}
	policy, err := camera.NewPolicy(cc.Allow, cc.AllowDrivers)
	if err != nil {
		return nil, nil, err
	}
	v, err := camera.OpenV4L2(ctx, camera.V4L2Config{
		Device: cc.Device, BusInfo: cc.BusInfo, MaxWidth: cc.MaxWidth, MaxHeight: cc.MaxHeight, FPS: cc.FPS, Policy: policy,
	})
	if err != nil {
		return nil, nil, err
	}
	return v, func() string {
		st, usb := v.Stats(), v.Identity().USBID()
		if usb == "" {
			usb = "none"
		}
		return fmt.Sprintf("%s (%s, bus %s, usb %s)", camera.FourCCString(st.Format.FourCC), st.Device, st.BusInfo, usb)
	}, nil
}

// measureSource reads src for d and prints what it got.
func measureSource(ctx context.Context, src camera.Source, format func() string, d time.Duration, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var frames, failed int
	var size image.Rectangle
	var lastErr error
	for {
		img, err := src.Read(ctx)
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			failed++
			lastErr = err
			if errors.Is(err, camera.ErrClosed) {
				break
			}
			continue
		}
		frames++
		size = img.Bounds()
	}
	el := time.Since(start)
	dropped := uint64(0)
	if v, ok := src.(*camera.V4L2); ok {
		dropped = v.Stats().Dropped
	}
	fmt.Fprintf(stdout, "resolution: %dx%d\n", size.Dx(), size.Dy())
	fmt.Fprintf(stdout, "format: %s\n", format())
	fmt.Fprintf(stdout, "fps: %.1f (%d frames in %.1fs)\n", float64(frames)/el.Seconds(), frames, el.Seconds())
	fmt.Fprintf(stdout, "dropped: %d\n", dropped)
	if failed > 0 {
		fmt.Fprintf(stdout, "read errors: %d (last: %s)\n", failed, oneLineErr(lastErr))
	}
	if frames == 0 {
		fmt.Fprintln(stderr, "camera test: no frames")
		return 1
	}
	return 0
}

// logCameraFault says why the camera cannot be opened; a refused one is
// named, with what the config allows (a device, never a person).
func logCameraFault(log zerolog.Logger, err error, policy camera.Policy) {
	var re *camera.RefusedError
	if errors.As(err, &re) {
		log.Error().Err(err).Str("event", "camera_refused").Str("code", camera.ErrorCode(err)).Stringer("camera", re.Camera).
			Stringer("allowed", policy).Msg("camera refused; waiting for an allowed one (staff: `signkiosk camera list`, [camera] allow)")
		return
	}
	log.Error().Err(err).Str("event", "camera_unavailable").Msg("camera not available; retrying (staff: check the USB cable, `signkiosk camera list`)")
}
