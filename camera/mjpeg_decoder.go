package camera

import "image"

// MJPEGDecoder decodes camera frames at full size or, for the preview and
// the face guidance, at 1/2, 1/4 or 1/8 of it in the DCT domain: a
// smaller frame then costs less to decode, not more. Built with cgo (as the
// kiosk always is: Fyne needs it) it uses libjpeg-turbo; built without
// cgo, or with the noturbo tag, image/jpeg and a subsample (MJPEGDecoderName
// says which, and the README when each is used). The zero value is ready;
// safe for concurrent use; Close releases the decoder handles it keeps.
type MJPEGDecoder struct {
	handles handlePool // libjpeg-turbo's, reused across frames (mjpeg_turbo.go)
}

// Decode decodes one frame at 1/den of its size (den 1, 2, 4 or 8; any
// other is rounded down to one of those). Frames without Huffman tables
// (UVC) decode as DecodeMJPEG's do; a truncated or garbled frame is an
// error. The result is an *image.YCbCr, or *image.Gray for a grey frame.
func (d *MJPEGDecoder) Decode(b []byte, den int) (image.Image, error) {
	den = scaleDen(den)
	if _, _, err := scanMJPEG(b); err != nil {
		return nil, err
	}
	return d.decode(b, den)
}

// Close releases the decoder's handles; it may still be used afterwards
// (each Decode then makes and frees its own).
func (d *MJPEGDecoder) Close() { d.handles.close() }

// scaleDen is den rounded down to a scale the decoders offer.
func scaleDen(den int) int {
	switch {
	case den >= 8:
		return 8
	case den >= 4:
		return 4
	case den >= 2:
		return 2
	}
	return 1
}

// scaledSide is a side of n pixels at 1/den, rounded up as libjpeg does.
func scaledSide(n, den int) int { return (n + den - 1) / den }

// subsample keeps every den-th sample of a decoded frame: the pure-Go
// fallback's reduced scale (nearest, cheap next to the decode itself).
func subsample(img image.Image, den int) image.Image {
	if den == 1 {
		return img
	}
	switch s := img.(type) {
	case *image.YCbCr:
		b := s.Rect
		w, h := scaledSide(b.Dx(), den), scaledSide(b.Dy(), den)
		out := image.NewYCbCr(image.Rect(0, 0, w, h), s.SubsampleRatio)
		for y := range h {
			sy := b.Min.Y + y*den
			for x := range w {
				sx := b.Min.X + x*den
				out.Y[y*out.YStride+x] = s.Y[s.YOffset(sx, sy)]
			}
		}
		cw, ch := chromaSize(out)
		hs, vs := chromaShift(s.SubsampleRatio)
		for y := range ch {
			sy := b.Min.Y + (y<<vs)*den
			for x := range cw {
				sx := b.Min.X + (x<<hs)*den
				ci := s.COffset(sx, sy)
				out.Cb[y*out.CStride+x], out.Cr[y*out.CStride+x] = s.Cb[ci], s.Cr[ci]
			}
		}
		return out
	case *image.Gray:
		b := s.Rect
		w, h := scaledSide(b.Dx(), den), scaledSide(b.Dy(), den)
		out := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				out.Pix[y*out.Stride+x] = s.Pix[s.PixOffset(b.Min.X+x*den, b.Min.Y+y*den)]
			}
		}
		return out
	}
	return img
}
