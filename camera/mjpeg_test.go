package camera

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"testing"
)

// texturedImage has gradients, edges and noise: something like a camera
// frame for the JPEG coder, not a flat field it compresses to nothing.
func texturedImage(w, h int) *image.RGBA {
	r := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			n := uint8(r.IntN(24))
			c := color.RGBA{uint8(x*255/w) + n, uint8(y*255/h) + n, uint8((x/16+y/16)%2*120) + n, 255}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// stripDHT removes every DHT segment, as a UVC camera sends its frames.
func stripDHT(t testing.TB, b []byte) []byte {
	t.Helper()
	out := WithoutHuffmanTables(b)
	if len(out) == len(b) {
		t.Fatal("test JPEG has no DHT to strip")
	}
	return out
}

func TestDecodeMJPEGWithoutHuffmanTables(t *testing.T) {
	full := encodeJPEG(t, texturedImage(160, 120))
	want, err := jpeg.Decode(bytes.NewReader(full))
	if err != nil {
		t.Fatal(err)
	}
	stripped := stripDHT(t, full)
	if _, err := jpeg.Decode(bytes.NewReader(stripped)); err == nil {
		t.Fatal("image/jpeg decoded a frame without DHT: the test proves nothing")
	}
	for name, frame := range map[string][]byte{"stripped": stripped, "complete": full} {
		got, err := DecodeMJPEG(frame)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		g, ok1 := got.(*image.YCbCr)
		w, ok2 := want.(*image.YCbCr)
		if !ok1 || !ok2 || g.Rect != w.Rect || !bytes.Equal(g.Y, w.Y) || !bytes.Equal(g.Cb, w.Cb) || !bytes.Equal(g.Cr, w.Cr) {
			t.Fatalf("%s: pixels differ from the original's decode", name)
		}
	}
}

// brokenFrames are frames a failing camera or cable sends.
func brokenFrames(t *testing.T) map[string][]byte {
	stripped := stripDHT(t, encodeJPEG(t, texturedImage(64, 48)))
	huge := append([]byte(nil), stripped...)
	// the SOF follows SOI and the two DQTs; make it claim 60000×60000
	for i := 2; i+9 < len(huge); i++ {
		if huge[i] == 0xff && huge[i+1] == 0xc0 {
			binary.BigEndian.PutUint16(huge[i+5:], 60000)
			binary.BigEndian.PutUint16(huge[i+7:], 60000)
			break
		}
	}
	return map[string][]byte{
		"empty":       nil,
		"soi only":    {0xff, 0xd8},
		"garbage":     bytes.Repeat([]byte{0x5a}, 500),
		"head only":   stripped[:40],
		"cut in scan": stripped[:len(stripped)/2],
		"no eoi":      stripped[:len(stripped)-2],
		"huge sof":    huge,
		"bad length":  {0xff, 0xd8, 0xff, 0xdb, 0x00, 0x01, 0xff, 0xd9},
		"eoi first":   {0xff, 0xd8, 0xff, 0xd9, 0x00, 0x00},
	}
}

func TestDecodeMJPEGRejectsBrokenFrames(t *testing.T) {
	for name, b := range brokenFrames(t) {
		if img, err := DecodeMJPEG(b); err == nil {
			t.Errorf("%s: decoded to %v, want an error", name, img.Bounds())
		}
	}
}

func FuzzDecodeMJPEG(f *testing.F) {
	full := encodeJPEG(f, texturedImage(32, 24))
	f.Add(full)
	f.Add(stripDHT(f, full))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xda, 0x00, 0x02})
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := DecodeMJPEG(b)
		if err == nil && img == nil {
			t.Fatal("nil image without an error")
		}
	})
}

func BenchmarkMJPEGDecode(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			frame := stripDHT(b, encodeJPEG(b, texturedImage(sz.w, sz.h)))
			// bytes of the YUYV frame it stands for, comparable with the others
			b.SetBytes(int64(sz.w * sz.h * 2))
			b.ReportMetric(float64(len(frame)), "frame-bytes")
			for b.Loop() {
				if _, err := DecodeMJPEG(frame); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
