package camera

import (
	"bytes"
	"errors"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"almatel.kz/signkiosk/camera/picturetest"
)

// allocated is how many bytes fn allocates (the whole process: tests here
// are not parallel).
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// pictureAllocBound: refusing a bomb reads its file (a few KB to 1 MB)
// and its header; 64 MB is far above that and far below what any bomb
// here would allocate if decoded (100 MB to 10 GB).
const pictureAllocBound = 64 << 20

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Pictures that promise far more pixels or work than their size are
// refused from the header: one line naming the size and the limit, little
// memory, before any decoding.
func TestDecodePictureRefusesBombs(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, want string
		b          []byte
	}{
		{"png 100000×100000", "picture is 100000×100000 pixels; the limit is 16384 pixels a side and 50.3 megapixels", picturetest.PNGHeader(100000, 100000)},
		{"png 25000×25000, valid", "picture is 25000×25000 pixels; the limit is ", picturetest.ZeroPNG(25000, 25000)},
		{"png too wide", "picture is 20000×100 pixels; the limit is ", picturetest.PNGHeader(20000, 100)},
		{"png one pixel over", "picture is 8192×6145 pixels; the limit is ", picturetest.PNGHeader(8192, 6145)},
		{"jpeg 65535×65535", "picture is 65535×65535 pixels; the limit is ", picturetest.JPEGHeader(65535, 65535)},
		{"jpeg scans", "JPEG picture has 1000 scans; the limit is 64", picturetest.JPEGScans(4000, 3000, 1000)},
		{"jpeg one scan over", "JPEG picture has 65 scans; the limit is 64", picturetest.JPEGScans(100, 100, MaxJPEGScans+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, dir, "bomb", tc.b)
			var err error
			if n := allocated(func() { _, err = DecodePictureFile(path) }); n > pictureAllocBound {
				t.Errorf("allocated %d MB refusing it", n>>20)
			}
			wantTooLarge(t, err, tc.want)
			_, err = DecodePicture(bytes.NewReader(tc.b))
			wantTooLarge(t, err, tc.want)
		})
	}
}

func wantTooLarge(t *testing.T, err error, want string) {
	t.Helper()
	if !errors.Is(err, ErrPictureTooLarge) || errors.Is(err, ErrNotPicture) {
		t.Fatalf("error %v, want ErrPictureTooLarge", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, want) || strings.Contains(msg, "\n") {
		t.Errorf("message %q, want one line starting %q", msg, want)
	}
}

// A file over MaxPictureBytes is refused unread; from a reader, after at
// most MaxPictureBytes+1 bytes.
func TestDecodePictureRefusesBigFiles(t *testing.T) {
	path := writeFile(t, t.TempDir(), "big.png", picturetest.PNGHeader(100, 100))
	if err := os.Truncate(path, MaxPictureBytes+1); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	var err error
	if n := allocated(func() { _, err = DecodePictureFile(path) }); n > 1<<20 {
		t.Errorf("allocated %d bytes refusing a big file: it was read", n)
	}
	wantTooLarge(t, err, "picture file is 32.0 MiB, over the 32 MiB limit")

	r := &countingReader{}
	_, err = DecodePicture(r)
	wantTooLarge(t, err, "picture file is over the 32 MiB limit")
	if r.n > MaxPictureBytes+1 {
		t.Errorf("read %d bytes of an endless picture", r.n)
	}
}

// countingReader is an endless PNG-looking stream that counts what is read.
type countingReader struct{ n int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0
	}
	r.n += int64(len(p))
	return len(p), nil
}

func TestDecodePictureNotAPicture(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		b          []byte
		format     bool // also image.ErrFormat: no known format at all
	}{
		{"text", "not a PNG or JPEG file", []byte("AKT1:not a picture"), true},
		{"empty", "not a PNG or JPEG file", nil, true},
		{"gif", "not a PNG or JPEG file", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), true},
		{"cut png", "damaged PNG picture: ", picturetest.PNGHeader(300, 300), false},
		{"cut jpeg", "damaged JPEG picture: ", picturetest.JPEGHeader(300, 300), false},
		{"png magic only", "damaged PNG picture: ", []byte("\x89PNG\r\n\x1a\n"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodePicture(bytes.NewReader(tc.b))
			if !errors.Is(err, ErrNotPicture) || errors.Is(err, ErrPictureTooLarge) || errors.Is(err, image.ErrFormat) != tc.format {
				t.Fatalf("error %v, want ErrNotPicture (image.ErrFormat %v)", err, tc.format)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("message %q, want one line starting %q", msg, tc.want)
			}
		})
	}
}

// Pictures at the limits decode: a 50 MP photo's size, a JPEG of
// MaxJPEGScans scans, and a ticket QR as PNG and JPEG, which read.
func TestDecodePictureAccepts(t *testing.T) {
	text := testTicket(t)
	qr := testQR(t, text).Image(600)
	var pngQR, jpegQR bytes.Buffer
	if err := png.Encode(&pngQR, qr); err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(&jpegQR, qr, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		b    []byte
		w, h int
		qr   bool
	}{
		{"ticket png", pngQR.Bytes(), 600, 600, true},
		{"ticket jpeg", jpegQR.Bytes(), 600, 600, true},
		{"png at the pixel limit", picturetest.ZeroPNG(8192, 6144), 8192, 6144, false},
		{"png at the side limit", picturetest.ZeroPNG(MaxPictureSide, 16), MaxPictureSide, 16, false},
		{"jpeg at the scan limit", picturetest.JPEGScans(320, 240, MaxJPEGScans), 320, 240, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := DecodePicture(bytes.NewReader(tc.b))
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Fatalf("decoded %v, want %d×%d", b, tc.w, tc.h)
			}
			if !tc.qr {
				return
			}
			if got, err := DecodeQR(img); err != nil || got != text {
				t.Errorf("QR: %v", err)
			}
		})
	}
}

// NewFolder names the picture it refuses.
func TestFolderRefusesBigPicture(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.png", picturetest.ZeroPNG(64, 64))
	writeFile(t, dir, "bomb.png", picturetest.PNGHeader(100000, 100000))
	var err error
	if n := allocated(func() { _, err = NewFolder(dir, 10) }); n > pictureAllocBound {
		t.Errorf("allocated %d MB refusing the folder", n>>20)
	}
	if !errors.Is(err, ErrPictureTooLarge) {
		t.Fatalf("error %v, want ErrPictureTooLarge", err)
	}
	if want := "camera folder: bomb.png: picture is 100000×100000 pixels; the limit is "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start %q", err, want)
	}
}

// A ticket in a 50 MP photo reads through the halved copy.
func TestDecodePictureQRBigPhoto(t *testing.T) {
	text := testTicket(t)
	qr := testQR(t, text).Image(2400)
	g := image.NewGray(image.Rect(0, 0, 8192, 6144))
	for i := range g.Pix {
		g.Pix[i] = 200
	}
	draw.Draw(g, image.Rect(3000, 2000, 5400, 4400), qr, image.Point{}, draw.Src)
	if got, err := DecodePictureQR(g); err != nil || got != text {
		t.Fatalf("50 MP photo: %v", err)
	}
}

// BenchmarkDecodePictureQRNoise is the slowest picture within the limits
// found so far: 50 MP of JPEG-compressed noise, where gozxing's finder
// meets candidates everywhere (over 2 min when read at full size).
func BenchmarkDecodePictureQRNoise(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := image.NewGray(image.Rect(0, 0, 8192, 6144))
	for i := range src.Pix {
		src.Pix[i] = uint8(100 + rng.IntN(60))
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	img, err := DecodePicture(&buf)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := DecodePictureQR(img); !errors.Is(err, ErrNoQR) {
			b.Fatal(err)
		}
	}
}
