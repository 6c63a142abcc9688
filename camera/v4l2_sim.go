//go:build linux

package camera

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"sync"
	"time"
)

// SimulatedV4L2 is a USB webcam that lives in the process: the V4L2 source
// (the same loop, format choice, copies and MJPEG decoding a real camera
// gets) over a simulated device that streams the demo's drawn subscriber as
// MJPEG without Huffman tables, as UVC cameras send it. It is the "fake
// device" of the idle-cost targets (docs/BENCHMARKS.md): what the kiosk
// spends on it is what it would spend on a 720p webcam at 30 fps.
//
// The device costs the process no more than a real one would: frames of
// the subscriber at rest come from a loop encoded once; only while the
// scene acts (a liveness attempt) or shows a held-up picture are frames
// encoded as they go, so that no two frames of an attempt are the same
// (the provider refuses frames it has seen).
type SimulatedV4L2 struct {
	*V4L2
	cam *simWebcam
}

// Simulated device names, as `signkiosk camera list` shows them.
const (
	simPath   = "/dev/video-sim"
	simBus    = "sim:usb-1"
	simDriver = "signkiosk-sim"
)

// OpenSimulatedV4L2 opens the V4L2 source on a simulated w×h MJPEG webcam at
// fps frames a second. cfg's device fields are ignored; its size cap and
// log apply.
func OpenSimulatedV4L2(ctx context.Context, cfg V4L2Config, w, h, fps int) (*SimulatedV4L2, error) {
	cam := newSimWebcam(w, h, fps, nil)
	sys := v4l2Sys{
		open: func(string) (v4l2Device, error) { return &simDevice{cam: cam}, nil },
		list: func() ([]DeviceInfo, error) { return []DeviceInfo{cam.info()}, nil },
	}
	cfg.Device, cfg.BusInfo = "", simBus
	v, err := openV4L2(ctx, cfg, sys)
	if err != nil {
		return nil, fmt.Errorf("simulated webcam: %w", err)
	}
	return &SimulatedV4L2{V4L2: v, cam: cam}, nil
}

// Act implements Actor: the drawn subscriber performs the move.
func (s *SimulatedV4L2) Act(move string) { s.cam.act(move) }

// Hold implements Holder: pic is held up in front of the camera.
func (s *SimulatedV4L2) Hold(pic image.Image) { s.cam.hold(pic) }

// simLoop is how much of the resting scene is encoded once and looped:
// long enough that its seam (the bob restarting) is rarely seen.
const simLoop = 2 * time.Second

// simLive is how long after an Act the device encodes every frame: a whole
// attempt, start to end.
const simLive = 30 * time.Second

// simQuality is the JPEG quality of the frames, a webcam's usual.
const simQuality = 85

// simWebcam is the simulated camera: the scene and its encoded frames,
// shared by the device handles a reopen makes.
type simWebcam struct {
	scene *Synthetic
	every time.Duration
	clock Clock

	mu        sync.Mutex
	rest      [][]byte  // the resting loop, filled once (encodeRest's goroutine)
	restDone  bool      // the loop is complete
	held      [][]byte  // frames with the held picture, encoded as they are first needed
	holding   bool      // a picture is held up
	liveUntil time.Time // encode every frame until then (an attempt is acted)
	n         int       // frames delivered
	next      time.Time // when the next frame is due
}

func newSimWebcam(w, h, fps int, clock Clock) *simWebcam {
	c := &simWebcam{scene: NewSynthetic(w, h, fps), every: time.Second / time.Duration(max(fps, 1)), clock: clockOr(clock)}
	c.scene.Clock = c.clock
	go c.encodeRest()
	return c
}

func (c *simWebcam) info() DeviceInfo {
	return DeviceInfo{Path: simPath, Card: "Simulated USB webcam", Driver: simDriver, BusInfo: simBus,
		Formats: []FormatInfo{{FourCC: FourCCMJPEG, Description: "Motion-JPEG",
			Sizes: []Size{{W: c.scene.W, H: c.scene.H, FPS: []float64{float64(time.Second / c.every)}}}}}}
}

// encodeRest encodes the resting loop: the scene as it looks over simLoop,
// each frame with its own sensor grain.
func (c *simWebcam) encodeRest() {
	t0 := c.clock.Now()
	for i := range int(simLoop / c.every) {
		b, err := c.encode(t0.Add(time.Duration(i) * c.every))
		if err != nil {
			return // live frames then; encode cannot fail on an RGBA
		}
		c.mu.Lock()
		c.rest = append(c.rest, b)
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.restDone = true
	c.mu.Unlock()
}

// encode draws the scene at t and encodes it as a UVC camera sends it.
func (c *simWebcam) encode(t time.Time) ([]byte, error) {
	var buf bytes.Buffer
	img := sensorNoise(c.scene.draw(0, t))
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: simQuality}); err != nil {
		return nil, fmt.Errorf("simulated webcam: encode: %w", err)
	}
	return WithoutHuffmanTables(buf.Bytes()), nil
}

func (c *simWebcam) act(move string) {
	c.scene.Act(move)
	c.mu.Lock()
	c.liveUntil = c.clock.Now().Add(simLive)
	c.mu.Unlock()
}

func (c *simWebcam) hold(pic image.Image) {
	c.scene.Hold(pic)
	c.mu.Lock()
	c.held, c.holding = nil, pic != nil
	c.mu.Unlock()
}

// heldFrames is how many distinct frames show a held picture before they
// repeat: a hand holding a phone still.
const heldFrames = 6

// frame is the next frame's JPEG: from the resting loop, from the held
// picture's frames, or drawn and encoded now.
func (c *simWebcam) frame() ([]byte, error) {
	now := c.clock.Now()
	c.mu.Lock()
	n := c.n
	c.n++
	live := now.Before(c.liveUntil)
	if c.holding && !live {
		if len(c.held) >= heldFrames {
			b := c.held[n%len(c.held)]
			c.mu.Unlock()
			return b, nil
		}
		c.mu.Unlock()
		b, err := c.encode(now)
		if err == nil {
			c.mu.Lock()
			if c.holding {
				c.held = append(c.held, b)
			}
			c.mu.Unlock()
		}
		return b, err
	}
	if !live && c.restDone && len(c.rest) > 0 {
		b := c.rest[n%len(c.rest)]
		c.mu.Unlock()
		return b, nil
	}
	c.mu.Unlock()
	return c.encode(now)
}

// wait sleeps until the next frame is due, at most timeout; false when it
// is not due within timeout.
func (c *simWebcam) wait(timeout time.Duration) bool {
	now := c.clock.Now()
	c.mu.Lock()
	if c.next.Before(now) {
		c.next = now // late (a slow reader, a fresh start): no burst to catch up
	}
	d := c.next.Sub(now)
	due := d <= timeout
	if due {
		c.next = c.next.Add(c.every)
	}
	c.mu.Unlock()
	_ = c.clock.Sleep(context.Background(), min(d, timeout))
	return due
}

// simDevice is one open handle on the simulated camera.
type simDevice struct {
	cam    *simWebcam
	format Format
}

func (d *simDevice) Formats() []FormatInfo { return d.cam.info().Formats }

// SetFormat gives the camera's one format whatever is asked, as a driver
// answers with the nearest it has.
func (d *simDevice) SetFormat(uint32, int, int) (uint32, int, int, error) {
	d.format = Format{FourCC: FourCCMJPEG, Width: d.cam.scene.W, Height: d.cam.scene.H}
	return d.format.FourCC, d.format.Width, d.format.Height, nil
}

func (d *simDevice) SetFPS(int) error { return nil }
func (d *simDevice) Start() error     { return nil }

func (d *simDevice) Wait(timeout time.Duration) error {
	if !d.cam.wait(timeout) {
		return errWaitTimeout
	}
	return nil
}

func (d *simDevice) Frame() ([]byte, uint32, error) {
	b, err := d.cam.frame()
	return b, 0, err
}

func (d *simDevice) Release(uint32) error { return nil }
func (d *simDevice) Close() error         { return nil }

// WithoutHuffmanTables is a JPEG with its DHT segments removed, as UVC
// cameras send MJPEG (DecodeMJPEG puts the standard tables back). Input that
// is not a well-formed JPEG up to its scan comes back unchanged.
func WithoutHuffmanTables(b []byte) []byte {
	if len(b) < 4 || b[0] != 0xff || b[1] != 0xd8 {
		return b
	}
	out := append(make([]byte, 0, len(b)), b[:2]...)
	for i := 2; i+4 <= len(b); {
		m := b[i+1]
		if b[i] != 0xff {
			return b
		}
		if m == 0xda { // SOS: the rest is entropy-coded data
			return append(out, b[i:]...)
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return b
		}
		if m != 0xc4 {
			out = append(out, b[i:i+2+n]...)
		}
		i += 2 + n
	}
	return b
}
