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
