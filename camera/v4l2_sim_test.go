//go:build linux

package camera

import (
	"context"
	"crypto/sha256"
	"image"
	"testing"
	"time"
)

// simSource opens the V4L2 source on a simulated webcam running on clk,
// once its resting loop is encoded (a 720p frame encoded live takes long
// under the race detector).
func simSource(t *testing.T, w, h, fps int, clk Clock) (*SimulatedV4L2, *simWebcam) {
	t.Helper()
	cam := newSimWebcam(w, h, fps, clk)
	waitRest(t, cam)
	sys := v4l2Sys{
		open: func(string) (v4l2Device, error) { return &simDevice{cam: cam}, nil },
		list: func() ([]DeviceInfo, error) { return []DeviceInfo{cam.info()}, nil },
	}
	v, err := openV4L2(context.Background(), V4L2Config{BusInfo: simBus}, sys)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return &SimulatedV4L2{V4L2: v, cam: cam}, cam
}

// The simulated webcam goes through the real V4L2 path: MJPEG at its size,
// sent without Huffman tables as a UVC camera does, decoded by the source.
func TestSimulatedWebcamStreamsMJPEG(t *testing.T) {
	src, cam := simSource(t, 1280, 720, 30, &FastClock{})
	img, err := src.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.YCbCr); !ok || img.Bounds() != image.Rect(0, 0, 1280, 720) {
		t.Fatalf("frame %T %v, want a 1280×720 YCbCr", img, img.Bounds())
	}
	if f := src.Stats().Format; f.FourCC != FourCCMJPEG || f.Width != 1280 {
		t.Fatalf("format %v, want MJPEG 1280×720", f)
	}
	raw, err := cam.frame()
	if err != nil {
		t.Fatal(err)
	}
	if _, hasDHT, err := scanMJPEG(raw); err != nil || hasDHT {
		t.Fatalf("frame has DHT %v (%v); a UVC camera sends none", hasDHT, err)
	}
	if id := src.Identity(); id.Driver != simDriver {
		t.Fatalf("identity %v", id)
	}
}

// A ticket held up to the simulated webcam reads through the V4L2 source,
// and goes when it is taken away.
func TestSimulatedWebcamHeldTicket(t *testing.T) {
	src, _ := simSource(t, 1280, 720, 30, &FastClock{})
	text := testTicket(t)
	src.Hold(testQR(t, text).Image(360))
	got := ""
	for range 3 {
		img, err := src.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got, err = DecodeQR(img); err == nil {
			break
		}
	}
	if got != text {
		t.Fatalf("held ticket read as %q", got)
	}
	src.Hold(nil)
	for i := range 5 { // frames already drawn with it are on their way
		img, err := src.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeQR(img); err != nil {
			return
		}
		if i == 4 {
			t.Fatal("ticket still read 5 frames after it was taken away")
		}
	}
}

// waitRest waits for cam's resting loop to be encoded (in the background).
func waitRest(t *testing.T, cam *simWebcam) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // generous: a loaded machine under -race
	for {
		cam.mu.Lock()
		done, n := cam.restDone, len(cam.rest)
		cam.mu.Unlock()
		if done {
			if n != int(simLoop/cam.every) {
				t.Fatalf("rest loop of %d frames, want %d", n, int(simLoop/cam.every))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the resting loop was not encoded")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// No two frames repeat within the resting loop, and frames of an acted
// attempt are encoded live: all different (the provider refuses a frame it
// has seen), and the subscriber moves.
func TestSimulatedWebcamFramesNeverRepeatInAnAttempt(t *testing.T) {
	clk := &FastClock{}
	cam := newSimWebcam(320, 180, 30, clk)
	waitRest(t, cam)
	seen := map[[32]byte]bool{}
	take := func(what string, n int) {
		for range n {
			cam.wait(time.Second)
			b, err := cam.frame()
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			if seen[sum] {
				t.Fatalf("%s: a frame repeats", what)
			}
			seen[sum] = true
		}
	}
	take("rest", int(simLoop/cam.every))
	cam.act("turn_left")
	take("attempt", 90)
}
