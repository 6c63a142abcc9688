package camera

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
)

// Limits on a picture read from a file: a ticket picture staff open, the
// demo ticket, the folder camera source. The header is read first, so a
// picture over a limit is refused before its pixels cost anything.
//
// They cover every picture a ticket comes in: a phone's full-resolution
// photo (up to 8192×6144 on a 50 MP sensor, a 15–25 MB JPEG), a
// screenshot, a scan. At the pixel limit a decoded PNG takes up to 8 bytes
// a pixel (16-bit RGBA, ~400 MB; 8-bit RGBA ~200 MB), a JPEG 1–3 bytes
// (a phone's 4:2:0 photo ~75 MB), and while a progressive JPEG decodes 4
// bytes more for each pixel of each colour plane (~200 MB gray). An
// everyday 12 MP photo takes ~18 MB. Reading its QR adds a gray copy (1
// byte a pixel) and the passes on at most 12.6 MP (DecodePictureQR).
const (
	// MaxPictureBytes: a bigger file is refused unread.
	MaxPictureBytes = 32 << 20
	// MaxPictureSide: the widest or tallest picture, in pixels.
	MaxPictureSide = 16384
	// MaxPicturePixels: width × height, a 50 MP sensor's photo.
	MaxPicturePixels = 8192 * 6144
	// MaxJPEGScans: the JPEG standard lets a few bytes of scan make the
	// decoder visit every block of the picture again (libjpeg-turbo's
	// LJT-01-003), so a small file can ask for hours of work. An encoder's
	// progressive JPEG has about 10 scans; at 64, a picture at the pixel
	// limit decodes in ~3 s (4000×3000 in 5000 scans is 150 KB and took
	// 30 s; 32 MiB of them would take hours).
	MaxJPEGScans = 64
)

// Errors of DecodePicture, for errors.Is; the message says more.
var (
	// ErrPictureTooLarge: over one of the limits above.
	ErrPictureTooLarge = errors.New("picture too large")
	// ErrNotPicture: not a PNG or JPEG, or one that is damaged. A file in
	// no known format also matches image.ErrFormat.
	ErrNotPicture = errors.New("not a PNG or JPEG picture")
)

// pictureError is a refusal: a one-line message for staff and the
// sentinels it matches.
type pictureError struct {
	msg   string
	kinds []error
}

func (e *pictureError) Error() string   { return e.msg }
func (e *pictureError) Unwrap() []error { return e.kinds }

func tooLarge(format string, args ...any) error {
	return &pictureError{msg: fmt.Sprintf(format, args...), kinds: []error{ErrPictureTooLarge}}
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// DecodePicture decodes a PNG or JPEG read from r within the limits above:
// at most MaxPictureBytes+1 bytes are read, and a picture whose header is
// over a limit is refused before it is decoded.
func DecodePicture(r io.Reader) (image.Image, error) {
	return decodePicture(r, -1, defaultPictureLimits)
}

// DecodePictureFile is DecodePicture on a file; a file bigger than
// MaxPictureBytes is refused without reading it.
func DecodePictureFile(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return decodePicture(f, size, defaultPictureLimits)
}

// pictureLimits are the limits above; the fuzz target uses smaller ones.
type pictureLimits struct {
	bytes     int64
	side      int
	pixels    int64
	jpegScans int
}

var defaultPictureLimits = pictureLimits{MaxPictureBytes, MaxPictureSide, MaxPicturePixels, MaxJPEGScans}

// decodePicture reads all of r (size bytes when known, else -1), checks
// the header against lim, then decodes.
func decodePicture(r io.Reader, size int64, lim pictureLimits) (image.Image, error) {
	if size > lim.bytes {
		return nil, tooLarge("picture file is %s, over the %s limit", mib(size), mib(lim.bytes))
	}
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(size) + 1) // one read to see the end; never more than the limit
	}
	if _, err := buf.ReadFrom(io.LimitReader(r, lim.bytes+1)); err != nil {
		return nil, fmt.Errorf("read picture: %w", err)
	}
	b := buf.Bytes()
	if int64(len(b)) > lim.bytes {
		return nil, tooLarge("picture file is over the %s limit", mib(lim.bytes))
	}

	var (
		configOf func(io.Reader) (image.Config, error)
		decode   func(io.Reader) (image.Image, error)
		kind     string
	)
	switch {
	case bytes.HasPrefix(b, pngMagic):
		configOf, decode, kind = png.DecodeConfig, png.Decode, "PNG"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8}):
		configOf, decode, kind = jpeg.DecodeConfig, jpeg.Decode, "JPEG"
	default:
		return nil, &pictureError{msg: "not a PNG or JPEG file", kinds: []error{ErrNotPicture, image.ErrFormat}}
	}
	cfg, err := configOf(bytes.NewReader(b))
	if err != nil {
		return nil, damaged(kind, err)
	}
	w, h := cfg.Width, cfg.Height
	if w > lim.side || h > lim.side || int64(w)*int64(h) > lim.pixels {
		return nil, tooLarge("picture is %d×%d pixels; the limit is %d pixels a side and %.1f megapixels",
			w, h, lim.side, float64(lim.pixels)/1e6)
	}
	if kind == "JPEG" {
		// Every scan starts with the marker FF DA, which entropy-coded
		// data never holds (an FF there is followed by 00), so counting it
		// can only overcount, by one in a thumbnail or in metadata.
		if n := bytes.Count(b, []byte{0xff, 0xda}); n > lim.jpegScans {
			return nil, tooLarge("JPEG picture has %d scans; the limit is %d", n, lim.jpegScans)
		}
	}
	img, err := decode(bytes.NewReader(b))
	if err != nil {
		return nil, damaged(kind, err)
	}
	return img, nil
}

// qrPictureMaxPixels: on a busy picture the QR reader's time grows faster
// than its size (JPEG noise: 12 MP in 1 s, 50 MP in over 2 min, nearly all
// in gozxing's finder), so DecodePictureQR reads a bigger one halved. A
// 12 MP phone photo (4032×3024) is read as it is; a ticket photographed to
// fill a fraction of a 50 MP frame still has modules of several pixels.
const qrPictureMaxPixels = 4096 * 3072

// DecodePictureQR is DecodeQR for a picture from DecodePicture: one over
// qrPictureMaxPixels is read from a copy halved (2×2 averages) until it
// is not, which bounds the reading time as MaxPicturePixels bounds memory.
func DecodePictureQR(img image.Image) (string, error) {
	b := img.Bounds()
	if int64(b.Dx())*int64(b.Dy()) <= qrPictureMaxPixels {
		return DecodeQR(img)
	}
	g := qrGray(img)
	for int64(g.Rect.Dx())*int64(g.Rect.Dy()) > qrPictureMaxPixels {
		g = qrDownscale2x(g)
	}
	return DecodeQR(g)
}

func damaged(kind string, err error) error {
	return &pictureError{msg: fmt.Sprintf("damaged %s picture: %v", kind, err), kinds: []error{ErrNotPicture, err}}
}

// mib is n bytes in MiB: whole when it is ("32 MiB"), else to a tenth.
func mib(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
