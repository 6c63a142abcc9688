package camera

import (
	"image"
	"image/color"
	"testing"
)

func TestLumaViewsAndConversions(t *testing.T) {
	r := image.Rect(2, 3, 10, 9)
	yc := image.NewYCbCr(r, image.YCbCrSubsampleRatio422)
	for i := range yc.Y {
		yc.Y[i] = uint8(i)
	}
	g := Luma(yc)
	if g.Bounds() != r || &g.Pix[0] != &yc.Y[0] {
		t.Fatal("YCbCr: want a view of the Y plane with the same bounds")
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if g.GrayAt(x, y).Y != yc.Y[yc.YOffset(x, y)] {
				t.Fatalf("(%d,%d) differs", x, y)
			}
		}
	}
	// A sub-image keeps its own origin.
	sub := yc.SubImage(image.Rect(4, 5, 8, 8)).(*image.YCbCr)
	if gs := Luma(sub); gs.GrayAt(4, 5).Y != yc.Y[yc.YOffset(4, 5)] || gs.Bounds() != sub.Bounds() {
		t.Fatal("sub-image view is off")
	}
	rgba := image.NewRGBA(r)
	nrgba := image.NewNRGBA(r)
	pal := image.NewPaletted(r, color.Palette{color.RGBA{200, 100, 50, 255}})
	c := color.RGBA{200, 100, 50, 255}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			rgba.Set(x, y, c)
			nrgba.Set(x, y, c)
		}
	}
	want := color.GrayModel.Convert(c).(color.Gray).Y
	for name, img := range map[string]image.Image{"rgba": rgba, "nrgba": nrgba, "paletted": pal} {
		if got := Luma(img).GrayAt(5, 5).Y; got != want {
			t.Fatalf("%s: luma %d, want %d", name, got, want)
		}
	}
}
