package camera

import (
	"image"
	"image/color"
	"testing"
)

func TestThumbnailScalesAndMirrors(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	red, blue := color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255}
	for y := range 720 {
		for x := range 1280 {
			c := blue
			if x < 640 {
				c = red // the camera sees red on its left
			}
			src.SetRGBA(x, y, c)
		}
	}
	th := Thumbnail(nil, src, 640, 480, false)
	if th.Bounds() != image.Rect(0, 0, 640, 360) {
		t.Fatalf("bounds %v, want 640×360 (aspect kept)", th.Bounds())
	}
	if th.RGBAAt(10, 10) != red || th.RGBAAt(630, 10) != blue {
		t.Fatal("unmirrored thumbnail swapped sides")
	}
	m := Thumbnail(th, src, 640, 480, true)
	if m != th {
		t.Fatal("a dst of the right size is not reused")
	}
	if m.RGBAAt(10, 10) != blue || m.RGBAAt(630, 10) != red {
		t.Fatal("mirrored thumbnail did not swap sides")
	}
	small := Thumbnail(nil, image.NewGray(image.Rect(0, 0, 100, 50)), 640, 480, true)
	if small.Bounds().Dx() != 100 {
		t.Fatalf("small frame enlarged to %v", small.Bounds())
	}
	// YCbCr (what the webcam gives): mid-grey stays mid-grey.
	yc := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio422)
	for i := range yc.Y {
		yc.Y[i] = 128
	}
	for i := range yc.Cb {
		yc.Cb[i], yc.Cr[i] = 128, 128
	}
	if c := Thumbnail(nil, yc, 32, 32, true).RGBAAt(5, 5); c.R != 128 || c.G != 128 || c.B != 128 {
		t.Fatalf("grey became %v", c)
	}
}

func BenchmarkThumbnail720pYCbCr(b *testing.B) {
	yc := image.NewYCbCr(image.Rect(0, 0, 1280, 720), image.YCbCrSubsampleRatio422)
	var dst *image.RGBA
	for b.Loop() {
		dst = Thumbnail(dst, yc, 640, 480, true)
	}
}

// The camera screen's case: a 720p camera's frame decoded at half size,
// mirrored at its own size.
func BenchmarkThumbnail360pYCbCr420(b *testing.B) {
	yc := image.NewYCbCr(image.Rect(0, 0, 640, 360), image.YCbCrSubsampleRatio420)
	var dst *image.RGBA
	for b.Loop() {
		dst = Thumbnail(dst, yc, 800, 600, true)
	}
}

// The fast YCbCr path gives color.YCbCrToRGB's pixels, at every
// subsampling and for a frame not at the origin.
func TestThumbnailYCbCrMatchesColorPackage(t *testing.T) {
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410} {
		full := image.NewYCbCr(image.Rect(0, 0, 67, 41), ratio)
		for i := range full.Y {
			full.Y[i] = uint8(i * 7)
		}
		for i := range full.Cb {
			full.Cb[i], full.Cr[i] = uint8(i*13), uint8(255-i*5)
		}
		src := full.SubImage(image.Rect(3, 5, 67, 41)).(*image.YCbCr)
		got := Thumbnail(nil, src, 64, 36, true)
		b := src.Bounds()
		for y := range 36 {
			for x := range 64 {
				sx, sy := b.Max.X-1-x, b.Min.Y+y
				c := src.YCbCrAt(sx, sy)
				r, g, bl := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				if p := got.RGBAAt(x, y); p != (color.RGBA{r, g, bl, 0xff}) {
					t.Fatalf("%v: pixel %d,%d is %v, want %v", ratio, x, y, p, color.RGBA{r, g, bl, 0xff})
				}
			}
		}
	}
}
