package camera

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"image/jpeg"
	"image/png"
	"runtime"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/camera/picturetest"
)

// fuzzPictureLimits are DecodePicture's limits made small, so that each
// input costs milliseconds: the code under test is the same.
var fuzzPictureLimits = pictureLimits{bytes: 1 << 20, side: 2048, pixels: 512 * 512, jpegScans: MaxJPEGScans}

// fuzzAllocBound: a picture within fuzzPictureLimits decodes into at most
// 8 bytes a pixel (2 MB), plus JPEG coefficients and the QR reader's
// copies; 64 MB is far above that and far below what the header of a
// bomb asks for.
const fuzzAllocBound = 64 << 20

// FuzzPictureTicket: the whole picture → ticket path (DecodePicture,
// DecodePictureQR, Verify) never panics, refuses with its sentinels and
// one-line messages, never decodes past the limits, allocates a bounded
// amount, and accepts only a complete ticket for this office.
//
// An input that reaches the QR reader costs ~10–60 ms, so minimising a new
// interesting one at the default -fuzzminimizetime (60 s) stalls the run:
// fuzz with -fuzzminimizetime 3s.
func FuzzPictureTicket(f *testing.F) {
	text := testTicket(f)
	q := testQR(f, text)
	var pngQR, jpegQR bytes.Buffer
	if err := png.Encode(&pngQR, q.Image(-3)); err != nil { // 3 px a module: small and readable
		f.Fatal(err)
	}
	if err := jpeg.Encode(&jpegQR, q.Image(-3), &jpeg.Options{Quality: 75}); err != nil {
		f.Fatal(err)
	}
	v := ticket.Verifier{
		PublicKey: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)).Public().(ed25519.PublicKey),
		Office:    "ALM-001",
		Skew:      2 * time.Minute,
	}
	now := time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC) // within testTicket's hour
	// The seeds must reach the end of the path, or the fuzzer starts from
	// nothing readable.
	for _, seed := range [][]byte{pngQR.Bytes(), jpegQR.Bytes()} {
		img, err := decodePicture(bytes.NewReader(seed), int64(len(seed)), fuzzPictureLimits)
		if err != nil {
			f.Fatal(err)
		}
		got, err := DecodePictureQR(img)
		if err != nil {
			f.Fatal(err)
		}
		if _, err := v.Verify(got, now); err != nil {
			f.Fatal(err)
		}
	}
	f.Add(pngQR.Bytes())
	f.Add(jpegQR.Bytes())
	f.Add(picturetest.PNGHeader(100000, 100000))
	f.Add(picturetest.PNGHeader(300, 300))
	f.Add(picturetest.ZeroPNG(300, 200))
	f.Add(picturetest.JPEGHeader(65535, 65535))
	f.Add(picturetest.JPEGHeader(300, 300))
	f.Add(picturetest.JPEGScans(256, 256, 3))
	f.Add(picturetest.JPEGScans(64, 64, 100))
	f.Add([]byte("AKT1:not a picture"))
	f.Add([]byte{})

	sentinels := []error{ticket.ErrNotTicket, ticket.ErrEncoding, ticket.ErrTooLarge, ticket.ErrSignature,
		ticket.ErrVersion, ticket.ErrExpired, ticket.ErrNotYetValid, ticket.ErrOtherOffice, ticket.ErrIncomplete,
		ticket.ErrDuplicateKey}
	f.Fuzz(func(t *testing.T, b []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		defer func() {
			runtime.ReadMemStats(&after)
			if n := after.TotalAlloc - before.TotalAlloc; n > fuzzAllocBound {
				t.Fatalf("allocated %d MB for a %d-byte input", n>>20, len(b))
			}
		}()

		img, err := decodePicture(bytes.NewReader(b), int64(len(b)), fuzzPictureLimits)
		if err != nil {
			if !errors.Is(err, ErrPictureTooLarge) && !errors.Is(err, ErrNotPicture) {
				t.Fatalf("error %v matches neither ErrPictureTooLarge nor ErrNotPicture", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("message is not one line: %q", err)
			}
			return
		}
		bd := img.Bounds()
		if w, h := bd.Dx(), bd.Dy(); w > fuzzPictureLimits.side || h > fuzzPictureLimits.side ||
			int64(w)*int64(h) > fuzzPictureLimits.pixels {
			t.Fatalf("decoded %v past the limits", bd)
		}
		got, err := DecodePictureQR(img)
		if err != nil {
			if !errors.Is(err, ErrNoQR) {
				t.Fatalf("QR error %v is not ErrNoQR", err)
			}
			return
		}
		p, err := v.Verify(got, now)
		if err != nil {
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("ticket error %v matches no sentinel", err)
		}
		if verr := p.Validate(); verr != nil || p.Office != v.Office {
			t.Fatalf("accepted a bad ticket: %v", verr)
		}
	})
}
