package camera

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"
)

// The synthetic camera paces its frames: the first comes at once, each
// next one a frame period after the previous one; a cancelled wait and a
// closed source end the read. Checked on a fake clock: the waits asked for,
// not how long the machine took.
func TestSyntheticPacesAndCloses(t *testing.T) {
	clk := newFakeClock()
	s := NewSynthetic(64, 48, 100)
	s.Clock = clk
	ctx := context.Background()
	for range 5 {
		img, err := s.Read(ctx)
		if err != nil || img.Bounds().Dx() != 64 {
			t.Fatalf("read: %v", err)
		}
	}
	want := []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}
	if got := clk.waits(); !slices.Equal(got, want) {
		t.Fatalf("5 frames at 100 fps waited %v, want %v: not paced", got, want)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Read(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("read with a cancelled context while pacing: %v", err)
	}
	s.Close()
	if _, err := s.Read(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func TestCaptureEncodesJPEG(t *testing.T) {
	clk := &FastClock{}
	src := NewSynthetic(80, 60, 30)
	src.Clock = clk
	c := Capturer{Source: src, Now: clk.Now}
	frames, err := c.Capture(context.Background(), []string{"turn_left"})
	if err != nil {
		t.Fatal(err)
	}
	if _, moved := splitRest(t, frames); len(moved) != 2 {
		t.Fatalf("%d frames of the move, want 2", len(moved))
	}
	for _, f := range frames {
		if _, err := jpeg.Decode(bytes.NewReader(f.JPEG)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (Capturer{Source: NewFolderFrom(t, 1)}).Capture(ctx, []string{"turn_left"}); err == nil {
		t.Fatal("capture with a cancelled context succeeded")
	}
}

// NewFolderFrom makes a folder source over one small picture.
func NewFolderFrom(t *testing.T, fps int) *Folder {
	t.Helper()
	dir := t.TempDir()
	if err := qrcode.WriteFile("x", qrcode.Low, 64, filepath.Join(dir, "a.png")); err != nil {
		t.Fatal(err)
	}
	f, err := NewFolder(dir, fps)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFolderErrors(t *testing.T) {
	if _, err := NewFolder(t.TempDir(), 10); err == nil {
		t.Fatal("empty folder accepted")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.png"), []byte("not a png"), 0o600)
	if _, err := NewFolder(dir, 10); err == nil {
		t.Fatal("broken picture accepted")
	}
	if _, err := NewFolder(filepath.Join(dir, "missing"), 10); err == nil {
		t.Fatal("missing folder accepted")
	}
}

// The idle scanner finds a ticket held up to the camera once, not on every
// frame while it stays there.
func TestScanLoopFindsOnceWhileHeld(t *testing.T) {
	dir := t.TempDir()
	if err := qrcode.WriteFile("AKT1:HELLO", qrcode.Medium, 400, filepath.Join(dir, "t.png")); err != nil {
		t.Fatal(err)
	}
	src, err := NewFolder(dir, 100)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var n atomic.Int32
	var got atomic.Value
	err = ScanLoop(ctx, src, 20*time.Millisecond, time.Minute, func(s string) { n.Add(1); got.Store(s) })
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 1 || got.Load() != "AKT1:HELLO" {
		t.Fatalf("found %d times (%v)", n.Load(), got.Load())
	}
	src.Close()
	if err := ScanLoop(context.Background(), src, time.Millisecond, time.Second, func(string) {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed source: %v", err)
	}
}
