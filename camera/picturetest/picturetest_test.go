package picturetest

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"testing"
)

// The pictures are what they claim: headers a decoder reads, and for
// ZeroPNG and JPEGScans whole pictures that decode.
func TestPictures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		b      []byte
		config func([]byte) (image.Config, error)
		w, h   int
	}{
		{"png header", PNGHeader(100000, 100000), pngConfig, 100000, 100000},
		{"zero png", ZeroPNG(25000, 25000), pngConfig, 25000, 25000},
		{"jpeg header", JPEGHeader(65535, 65535), jpegConfig, 65535, 65535},
		{"jpeg scans", JPEGScans(4000, 3000, 10), jpegConfig, 4000, 3000},
	} {
		cfg, err := tc.config(tc.b)
		if err != nil || cfg.Width != tc.w || cfg.Height != tc.h {
			t.Errorf("%s: %d×%d (%v), want %d×%d", tc.name, cfg.Width, cfg.Height, err, tc.w, tc.h)
		}
	}
	if n := len(ZeroPNG(25000, 25000)); n > 1<<20 {
		t.Errorf("25000×25000 zero PNG is %d bytes, want under 1 MiB", n)
	}

	// Small enough to decode here; the big ones use the same code.
	img, err := png.Decode(bytes.NewReader(ZeroPNG(3000, 2500)))
	if err != nil {
		t.Fatalf("zero png: %v", err)
	}
	g := img.(*image.Gray)
	if g.Rect.Dx() != 3000 || g.Rect.Dy() != 2500 || bytes.IndexFunc(g.Pix, func(r rune) bool { return r != 0 }) >= 0 {
		t.Errorf("zero png decodes to %v, not all black", g.Rect)
	}
	jimg, err := jpeg.Decode(bytes.NewReader(JPEGScans(1000, 700, 5)))
	if err != nil {
		t.Fatalf("jpeg scans: %v", err)
	}
	if b := jimg.Bounds(); b.Dx() != 1000 || b.Dy() != 700 {
		t.Errorf("jpeg scans decodes to %v", b)
	}
	if _, err := png.Decode(bytes.NewReader(PNGHeader(300, 300))); err == nil {
		t.Error("png header decoded: want too little data")
	}
	if _, err := jpeg.Decode(bytes.NewReader(JPEGHeader(300, 300))); err == nil {
		t.Error("jpeg header decoded: want a cut-short scan")
	}
}

func pngConfig(b []byte) (image.Config, error)  { return png.DecodeConfig(bytes.NewReader(b)) }
func jpegConfig(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }
