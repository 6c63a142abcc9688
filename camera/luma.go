package camera

import (
	"image"
	"image/color"
)

// Luma is img's brightness as a *image.Gray for analysis. A decoded MJPEG or
// converted YUYV frame (*image.YCbCr) and a *image.Gray give a view of their
// own Y plane: no copy, so the result must not be written to. Other images
// are converted (BT.601, as image/color does). Bounds are img's.
func Luma(img image.Image) *image.Gray {
	b := img.Bounds()
	switch src := img.(type) {
	case *image.Gray:
		return src
	case *image.YCbCr:
		return &image.Gray{Pix: src.Y[src.YOffset(b.Min.X, b.Min.Y):], Stride: src.YStride, Rect: b}
	}
	out := image.NewGray(b)
	w := b.Dx()
	// RGBA and NRGBA share a layout; alpha is ignored (camera frames are
	// opaque).
	var pix []uint8
	var off func(x, y int) int
	switch src := img.(type) {
	case *image.RGBA:
		pix, off = src.Pix, src.PixOffset
	case *image.NRGBA:
		pix, off = src.Pix, src.PixOffset
	}
	switch {
	case pix != nil:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := pix[off(b.Min.X, y):]
			dst := out.Pix[out.PixOffset(b.Min.X, y):]
			for x := range w {
				dst[x] = luma601(row[4*x], row[4*x+1], row[4*x+2])
			}
		}
	default:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				out.SetGray(x, y, color.GrayModel.Convert(img.At(x, y)).(color.Gray))
			}
		}
	}
	return out
}

// luma601 is BT.601 luma, rounded as image/color does.
func luma601(r, g, b uint8) uint8 {
	return uint8((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
}
