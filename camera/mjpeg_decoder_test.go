package camera

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"os"
	"testing"
)

// meanLumaDiff is the mean absolute difference of a's luma and b's luma
// box-averaged over den×den: how far a decode at 1/den is from the full
// picture.
func meanLumaDiff(t *testing.T, a, full image.Image, den int) float64 {
	t.Helper()
	la, lf := Luma(a), Luma(full)
	ab, fb := la.Bounds(), lf.Bounds()
	kx, ky := den, den
	var sum float64
	n := 0
	for y := 0; y+1 < ab.Dy() && (y+1)*ky <= fb.Dy(); y++ {
		for x := 0; x+1 < ab.Dx() && (x+1)*kx <= fb.Dx(); x++ {
			var box float64
			for j := range ky {
				for i := range kx {
					box += float64(lf.GrayAt(fb.Min.X+x*kx+i, fb.Min.Y+y*ky+j).Y)
				}
			}
			box /= float64(kx * ky)
			sum += math.Abs(float64(la.GrayAt(ab.Min.X+x, ab.Min.Y+y).Y) - box)
			n++
		}
	}
	return sum / float64(n)
}

// The decoder the kiosk is built with gives each scale at the size libjpeg
// gives it, close to the full picture, from frames with and without
// Huffman tables, colour and grey.
func TestMJPEGDecoderScales(t *testing.T) {
	t.Logf("decoder: %s", MJPEGDecoderName)
	var d MJPEGDecoder
	defer d.Close()
	color := encodeJPEG(t, texturedImage(1281, 721)) // odd sides: rounding up
	var gb bytes.Buffer
	if err := jpeg.Encode(&gb, Luma(texturedImage(320, 240)), nil); err != nil {
		t.Fatal(err)
	}
	for name, frame := range map[string][]byte{"colour": color, "colour without DHT": stripDHT(t, color), "grey": gb.Bytes()} {
		full, err := jpeg.Decode(bytes.NewReader(frame))
		if name == "colour without DHT" {
			full, err = jpeg.Decode(bytes.NewReader(color))
		}
		if err != nil {
			t.Fatal(err)
		}
		fb := full.Bounds()
		for _, den := range []int{1, 2, 4, 8} {
			img, err := d.Decode(frame, den)
			if err != nil {
				t.Fatalf("%s 1/%d: %v", name, den, err)
			}
			want := image.Rect(0, 0, (fb.Dx()+den-1)/den, (fb.Dy()+den-1)/den)
			if img.Bounds() != want {
				t.Fatalf("%s 1/%d: bounds %v, want %v", name, den, img.Bounds(), want)
			}
			if _, isGrey := full.(*image.Gray); isGrey {
				if _, ok := img.(*image.Gray); !ok {
					t.Fatalf("%s 1/%d: %T, want *image.Gray", name, den, img)
				}
			} else if y, ok := img.(*image.YCbCr); !ok || y.SubsampleRatio != full.(*image.YCbCr).SubsampleRatio {
				t.Fatalf("%s 1/%d: %T, want *image.YCbCr as image/jpeg's", name, den, img)
			}
			// IDCT rounding differs a little; a scaled decode is near a
			// box filter (libjpeg-turbo's) or one sample of the box (the
			// fallback's: the picture's noise does not average out)
			limit := 1.5
			if den > 1 {
				limit = 12
			}
			if diff := meanLumaDiff(t, img, full, den); diff > limit {
				t.Errorf("%s 1/%d: mean luma differs by %.2f from the full picture, more than %.1f", name, den, diff, limit)
			}
		}
	}
}

// Broken frames are errors at every scale, never a picture of garbage.
func TestMJPEGDecoderRejectsBrokenFrames(t *testing.T) {
	var d MJPEGDecoder
	defer d.Close()
	for name, b := range brokenFrames(t) {
		for _, den := range []int{1, 2, 4} {
			if img, err := d.Decode(b, den); err == nil {
				t.Errorf("%s 1/%d: decoded to %v, want an error", name, den, img.Bounds())
			}
		}
	}
}

// The decoder is shared by the hub's readers: frames decode at once from
// several goroutines (run under -race) and all give the same picture.
func TestMJPEGDecoderConcurrent(t *testing.T) {
	var d MJPEGDecoder
	defer d.Close()
	frame := stripDHT(t, encodeJPEG(t, texturedImage(320, 240)))
	want, err := d.Decode(frame, 2)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 20 {
				got, err := d.Decode(frame, 2)
				if err == nil && !bytes.Equal(got.(*image.YCbCr).Y, want.(*image.YCbCr).Y) {
					err = errorString("pictures differ between goroutines")
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func FuzzMJPEGDecoder(f *testing.F) {
	full := encodeJPEG(f, texturedImage(32, 24))
	f.Add(full, uint8(1))
	f.Add(stripDHT(f, full), uint8(2))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xda, 0x00, 0x02}, uint8(4))
	var d MJPEGDecoder
	f.Cleanup(d.Close)
	f.Fuzz(func(t *testing.T, b []byte, den uint8) {
		img, err := d.Decode(b, int(den))
		if err == nil && (img == nil || img.Bounds().Empty()) {
			t.Fatal("no picture without an error")
		}
	})
}

// BenchmarkMJPEGDecoder decodes a 720p frame at each scale with the
// decoder the kiosk is built with, and with image/jpeg at full size.
// MJPEG_BENCH_FRAME names a JPEG file to decode instead of the textured
// test picture: scripts/jpegbench.sh gives this benchmark and tjbench the
// same file (docs/BENCHMARKS.md).
func BenchmarkMJPEGDecoder(b *testing.B) {
	frame := stripDHT(b, encodeJPEG(b, texturedImage(1280, 720)))
	if p := os.Getenv("MJPEG_BENCH_FRAME"); p != "" {
		var err error
		if frame, err = os.ReadFile(p); err != nil {
			b.Fatal(err)
		}
	}
	var d MJPEGDecoder
	defer d.Close()
	for _, den := range []int{1, 2, 4} {
		b.Run("scale-1/"+string(rune('0'+den)), func(b *testing.B) {
			for b.Loop() {
				if _, err := d.Decode(frame, den); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("image-jpeg", func(b *testing.B) {
		for b.Loop() {
			if _, err := DecodeMJPEG(frame); err != nil {
				b.Fatal(err)
			}
		}
	})
}
