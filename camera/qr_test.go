package camera

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/ticket"
	qrgen "github.com/skip2/go-qrcode"
)

// testTicket is a real signed demo ticket: alphanumeric text of the length
// the kiosk must read (QR version ~17 at medium recovery). Its id is fixed so
// every run decodes the same picture: whether a hard frame reads depends on
// the content (see TestDecodeQRRateOverRandomTickets for the rate).
func testTicket(t testing.TB) string {
	return ticketWithID(t, "3f0c2b1e-7a4d-4c2e-9b1a-5d6e7f809112")
}

func ticketWithID(t testing.TB, tid string) string {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	p := ticket.NewPayload(ticket.DemoOrder(), "ALM-001", "S-0042", now, time.Hour)
	if tid != "" {
		p.TID = tid
	}
	text, err := ticket.Encode(p, priv)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func testQR(t testing.TB, text string) *qrgen.QRCode {
	t.Helper()
	q, err := qrgen.New(text, qrgen.Medium)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// renderQR draws q into a w×h gray frame the way a camera sees a screen or
// a print: modules of a fractional px size, rotated, on a mid-gray
// background, softly anti-aliased, then JPEG-compressed like MJPEG.
func renderQR(t testing.TB, q *qrgen.QRCode, w, h int, modulePx, degrees float64) image.Image {
	t.Helper()
	bm := q.Bitmap()
	n := float64(len(bm))
	ca, sa := math.Cos(degrees*math.Pi/180), math.Sin(degrees*math.Pi/180)
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			light := 0
			for s := 0; s < 9; s++ { // 3×3 supersampling
				dx := float64(x) + float64(s%3)/3 + 1.0/6 - float64(w)/2
				dy := float64(y) + float64(s/3)/3 + 1.0/6 - float64(h)/2
				u := (ca*dx+sa*dy)/modulePx + n/2
				v := (-sa*dx+ca*dy)/modulePx + n/2
				if u < 0 || v < 0 || u >= n || v >= n {
					light += 150 // background
				} else if !bm[int(v)][int(u)] {
					light += 215
				} else {
					light += 35
				}
			}
			g.Pix[y*g.Stride+x] = uint8(light / 9)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, g, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestDecodeQRGoQRCodeSizes(t *testing.T) {
	text := testTicket(t)
	q := testQR(t, text)
	t.Logf("ticket: %d characters, QR version %d", len(text), q.VersionNumber)
	for _, size := range []int{200, 300, 400, 512, 768, 1024, 1600} {
		got, err := DecodeQR(q.Image(size))
		if err != nil {
			t.Errorf("size %d: %v", size, err)
			continue
		}
		if got != text {
			t.Errorf("size %d: decoded text differs", size)
		}
	}
}

// The retries exist for fractional module sizes; every one of these frames
// must read, whether or not gozxing's first pass does.
func TestDecodeQRFractionalModules(t *testing.T) {
	text := testTicket(t)
	q := testQR(t, text)
	firstMissed := 0
	for _, tc := range []struct{ modulePx, degrees float64 }{
		{2.2, 0}, {2.3, 4}, {2.5, -3}, {2.6, 7}, {2.8, 0}, {2.9, -6},
		{3.1, 2}, {3.3, -9}, {3.4, 12}, {3.6, 0}, {4.2, 5},
	} {
		img := renderQR(t, q, 640, 480, tc.modulePx, tc.degrees)
		if _, ok, _ := (qrPass{}).decode(qrGray(img)); !ok {
			firstMissed++
		}
		got, err := DecodeQR(img)
		if err != nil || got != text {
			t.Errorf("%.1f px/module at %.0f°: %v", tc.modulePx, tc.degrees, err)
		}
	}
	t.Logf("gozxing's first pass alone missed %d of these frames", firstMissed)
}

// Over many tickets (random ids, so different pictures) the hard frames of
// TestDecodeQRFractionalModules read about 97 % of the time here (runs from
// 93 % to 100 %). The floor guards against regressions without flaking; the
// camera issue's bar is 95 % on its own test set, which libzbar or better
// passes have to reach.
func TestDecodeQRRateOverRandomTickets(t *testing.T) {
	n, ok := 0, 0
	tickets := 12
	if testing.Short() {
		tickets = 3 // make test's sample; make test-long runs all 12
	}
	for range tickets {
		text := ticketWithID(t, "")
		q := testQR(t, text)
		for _, tc := range []struct{ modulePx, degrees float64 }{
			{2.2, 0}, {2.5, -3}, {2.8, 0}, {3.1, 2}, {3.6, 0}, {4.2, 5},
		} {
			n++
			if got, err := DecodeQR(renderQR(t, q, 640, 480, tc.modulePx, tc.degrees)); err == nil && got == text {
				ok++
			}
		}
	}
	rate := float64(ok) / float64(n)
	t.Logf("decoded %d of %d hard frames (%.1f %%)", ok, n, 100*rate)
	if rate < 0.85 {
		t.Fatalf("decoded %.1f %% of hard frames, want at least 85 %%", 100*rate)
	}
}

func TestDecodeQRImageTypes(t *testing.T) {
	text := testTicket(t)
	pal := testQR(t, text).Image(500) // *image.Paletted: the generic path
	b := pal.Bounds()
	conv := func(dst draw.Image) image.Image {
		draw.Draw(dst, b, pal, b.Min, draw.Src)
		return dst
	}
	var jbuf bytes.Buffer
	if err := jpeg.Encode(&jbuf, pal, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	ycc, err := jpeg.Decode(&jbuf)
	if err != nil {
		t.Fatal(err)
	}
	// A sub-image whose bounds do not start at (0,0), as a crop of a frame.
	canvas := image.NewRGBA(image.Rect(0, 0, 900, 700))
	draw.Draw(canvas, canvas.Bounds(), image.NewUniform(color.RGBA{90, 100, 110, 255}), image.Point{}, draw.Src)
	draw.Draw(canvas, b.Add(image.Pt(250, 120)), pal, b.Min, draw.Src)
	crop := canvas.SubImage(image.Rect(200, 100, 800, 650))
	// Transparent background with black modules, as some PNG exporters write.
	nrgba := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := pal.At(x, y).RGBA(); r < 0x8000 {
				nrgba.SetNRGBA(x, y, color.NRGBA{A: 255})
			}
		}
	}
	for name, img := range map[string]image.Image{
		"paletted":    pal,
		"gray":        conv(image.NewGray(b)),
		"rgba":        conv(image.NewRGBA(b)),
		"gray16":      conv(image.NewGray16(b)),
		"ycbcr":       ycc,
		"crop":        crop,
		"transparent": nrgba,
	} {
		if _, ok := img.(*image.YCbCr); name == "ycbcr" && !ok {
			t.Fatalf("jpeg decoded to %T", img)
		}
		got, err := DecodeQR(img)
		if err != nil || got != text {
			t.Errorf("%s (%T): %v", name, img, err)
		}
	}
}

func TestDecodeQRNone(t *testing.T) {
	noise := image.NewGray(image.Rect(0, 0, 640, 480))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise.Pix {
		noise.Pix[i] = uint8(rng.IntN(256))
	}
	white := image.NewGray(image.Rect(0, 0, 640, 480))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	for name, img := range map[string]image.Image{
		"nil":   nil,
		"empty": image.NewGray(image.Rectangle{}),
		"tiny":  image.NewGray(image.Rect(0, 0, 10, 10)),
		"line":  image.NewGray(image.Rect(0, 0, 4000, 1)),
		"noise": noise,
		"white": white,
		"black": image.NewGray(image.Rect(0, 0, 300, 300)),
	} {
		if _, err := DecodeQR(img); !errors.Is(err, ErrNoQR) {
			t.Errorf("%s: %v, want ErrNoQR", name, err)
		}
	}
}

// A phone photo: large, big modules, soft focus. Goes the downscale way.
func TestDecodeQRPhoto(t *testing.T) {
	text := testTicket(t)
	img := renderQR(t, testQR(t, text), 2600, 2100, 19.3, -4)
	got, err := DecodeQR(img)
	if err != nil || got != text {
		t.Fatalf("photo: %v", err)
	}
}

func TestDecodeQRFile(t *testing.T) {
	text := testTicket(t)
	dir := t.TempDir()
	img := testQR(t, text).Image(600)
	write := func(name string, enc func(*os.File) error) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := enc(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pngPath := write("t.png", func(f *os.File) error { return png.Encode(f, img) })
	jpgPath := write("t.jpg", func(f *os.File) error { return jpeg.Encode(f, img, &jpeg.Options{Quality: 80}) })
	blank := write("blank.png", func(f *os.File) error { return png.Encode(f, image.NewGray(image.Rect(0, 0, 64, 64))) })
	notImage := write("notes.txt", func(f *os.File) error { _, err := f.WriteString("AKT1:not an image"); return err })

	for _, p := range []string{pngPath, jpgPath} {
		if got, err := DecodeQRFile(p); err != nil || got != text {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
	}
	if _, err := DecodeQRFile(blank); !errors.Is(err, ErrNoQR) {
		t.Errorf("blank: %v, want ErrNoQR", err)
	}
	if _, err := DecodeQRFile(notImage); !errors.Is(err, image.ErrFormat) {
		t.Errorf("not an image: %v, want a decode error", err)
	}
	if _, err := DecodeQRFile(filepath.Join(dir, "missing.png")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v, want fs.ErrNotExist", err)
	}
}

// requireQrencode returns the qrencode binary, an independent encoder. It
// skips when it is missing on a developer machine but fails in CI, where
// `make deps` installs it.
func requireQrencode(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("qrencode")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("qrencode is not on PATH (make deps installs it)")
		}
		t.Skip("qrencode is not on PATH")
	}
	return p
}

func TestDecodeQRQrencode(t *testing.T) {
	bin := requireQrencode(t)
	text := testTicket(t)
	for _, px := range []string{"3", "5", "8"} {
		out := filepath.Join(t.TempDir(), "q.png")
		if msg, err := exec.Command(bin, "-o", out, "-l", "M", "-s", px, text).CombinedOutput(); err != nil {
			t.Fatalf("qrencode: %v: %s", err, msg)
		}
		got, err := DecodeQRFile(out)
		if err != nil || got != text {
			t.Errorf("qrencode -s %s: %v", px, err)
		}
	}
}

func TestQRUpscale2x(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(g.Pix, []uint8{0, 100, 200, 40, 40, 40})
	up := qrUpscale2x(g)
	if up.Rect.Dx() != 6 || up.Rect.Dy() != 4 {
		t.Fatalf("size %v", up.Rect)
	}
	// Corners keep their source values; the first row blends 3:1 between
	// neighbours: 0, 25, 75, 125, 175, 200.
	want := []uint8{0, 25, 75, 125, 175, 200}
	if !bytes.Equal(up.Pix[:6], want) {
		t.Fatalf("first row %v, want %v", up.Pix[:6], want)
	}
	if up.Pix[3*up.Stride] != 40 || up.Pix[3*up.Stride+5] != 40 {
		t.Fatalf("last row %v", up.Pix[3*up.Stride:])
	}
}

func TestQROtsu(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 4, 1))
	copy(g.Pix, []uint8{30, 50, 180, 220})
	cut := qrOtsuCut(g)
	if cut < 50 || cut >= 180 {
		t.Fatalf("Otsu cut %d, want between the two classes", cut)
	}
	m := qrCutBits(g, cut)
	for x, black := range []bool{true, true, false, false} {
		if m.Get(x, 0) != black {
			t.Fatalf("pixel %d black %v, want %v", x, m.Get(x, 0), black)
		}
	}
}

func BenchmarkDecodeQR(b *testing.B) {
	q := testQR(b, testTicket(b))
	hit := renderQR(b, q, 1280, 720, 4.5, 3)
	miss := image.NewGray(image.Rect(0, 0, 1280, 720))
	for y := 0; y < 720; y++ {
		for x := 0; x < 1280; x++ {
			miss.Pix[y*miss.Stride+x] = uint8(128 + 60*math.Sin(float64(x)/37)*math.Cos(float64(y)/23))
		}
	}
	b.Run("hit", func(b *testing.B) {
		for b.Loop() {
			if _, err := DecodeQR(hit); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("miss", func(b *testing.B) {
		for b.Loop() {
			DecodeQR(miss)
		}
	})
}
