package camera

import (
	"encoding/binary"
	"fmt"
	"image"
)

// YUYV (V4L2_PIX_FMT_YUYV, YUY2) is packed 4:2:2: every two pixels are four
// bytes Y0 Cb Y1 Cr. A frame is w*h*2 bytes, rows w*2 bytes, w even.

// checkYUYV rejects sizes that cannot be a YUYV frame, before any loop runs.
func checkYUYV(src []byte, w, h int) error {
	switch {
	case w <= 0 || h <= 0:
		return fmt.Errorf("yuyv: bad size %dx%d", w, h)
	case w%2 != 0:
		return fmt.Errorf("yuyv: odd width %d (YUYV packs pixel pairs)", w)
	case len(src) < w*h*2:
		return fmt.Errorf("yuyv: short frame: %d bytes, %dx%d needs %d", len(src), w, h, w*h*2)
	}
	return nil
}

// YUYVToYCbCr converts a YUYV frame to a planar 4:2:2 *image.YCbCr: the
// frame type the V4L2 source returns, whose Y plane is the grayscale (Luma
// takes it without a copy) and which Fyne draws directly. It is a pure
// byte shuffle, no arithmetic. dst's buffers are reused when dst is a w×h
// 4:2:2 image with tight strides; otherwise (or when nil) a new one is made.
func YUYVToYCbCr(dst *image.YCbCr, src []byte, w, h int) (*image.YCbCr, error) {
	if err := checkYUYV(src, w, h); err != nil {
		return nil, err
	}
	if !fitsYCbCr422(dst, w, h) {
		dst = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio422)
	}
	// Tight strides make every plane one contiguous run: convert the frame
	// as a flat array, four pixels (one uint64) a step.
	n := w * h
	src = src[:2*n]
	Y, Cb, Cr := dst.Y[:n], dst.Cb[:n/2], dst.Cr[:n/2]
	i := 0
	for ; i+4 <= n; i += 4 {
		v := binary.LittleEndian.Uint64(src[2*i : 2*i+8])
		binary.LittleEndian.PutUint32(Y[i:i+4], uint32(v&0xff|v>>8&0xff00|v>>16&0xff0000|v>>24&0xff000000))
		binary.LittleEndian.PutUint16(Cb[i/2:i/2+2], uint16(v>>8&0xff|v>>32&0xff00))
		binary.LittleEndian.PutUint16(Cr[i/2:i/2+2], uint16(v>>24&0xff|v>>48&0xff00))
	}
	if i < n { // one pixel pair left when w*h is not a multiple of 4
		p := src[2*i : 2*i+4]
		Y[i], Cb[i/2], Y[i+1], Cr[i/2] = p[0], p[1], p[2], p[3]
	}
	return dst, nil
}

func fitsYCbCr422(m *image.YCbCr, w, h int) bool {
	return m != nil && m.Rect == image.Rect(0, 0, w, h) &&
		m.SubsampleRatio == image.YCbCrSubsampleRatio422 &&
		m.YStride == w && m.CStride == w/2 &&
		len(m.Y) >= w*h && len(m.Cb) >= w*h/2 && len(m.Cr) >= w*h/2
}

// YUYVToGray writes the frame's luma into dst, which must be w×h.
func YUYVToGray(dst *image.Gray, src []byte, w, h int) error {
	if err := checkYUYV(src, w, h); err != nil {
		return err
	}
	if dst == nil || dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		return fmt.Errorf("yuyv: gray destination is not %dx%d", w, h)
	}
	for y := range h {
		s := src[2*w*y : 2*w*(y+1)]
		o := dst.PixOffset(dst.Rect.Min.X, dst.Rect.Min.Y+y)
		d := dst.Pix[o : o+w]
		x := 0
		for ; x+4 <= w; x += 4 {
			v := binary.LittleEndian.Uint64(s[2*x : 2*x+8])
			binary.LittleEndian.PutUint32(d[x:x+4], uint32(v&0xff|v>>8&0xff00|v>>16&0xff0000|v>>24&0xff000000))
		}
		if x < w {
			p := s[2*x : 2*x+4]
			d[x], d[x+1] = p[0], p[2]
		}
	}
	return nil
}

// YUYVToRGBA converts the frame into dst, which must be w×h, with the
// integer BT.601 full-range (JFIF) arithmetic of color.YCbCrToRGB, so the
// result is bit-identical to image/color's. The chroma terms are computed
// once per pixel pair.
func YUYVToRGBA(dst *image.RGBA, src []byte, w, h int) error {
	if err := checkYUYV(src, w, h); err != nil {
		return err
	}
	if dst == nil || dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		return fmt.Errorf("yuyv: rgba destination is not %dx%d", w, h)
	}
	for y := range h {
		s := src[2*w*y : 2*w*(y+1)]
		o := dst.PixOffset(dst.Rect.Min.X, dst.Rect.Min.Y+y)
		d := dst.Pix[o : o+4*w]
		for len(s) >= 4 && len(d) >= 8 {
			cb1 := int32(s[1]) - 128
			cr1 := int32(s[3]) - 128
			rc := 91881 * cr1
			gc := -22554*cb1 - 46802*cr1
			bc := 116130 * cb1

			y0 := int32(s[0]) * 0x10101
			d[0], d[1], d[2], d[3] = clamp16(y0+rc), clamp16(y0+gc), clamp16(y0+bc), 0xff
			y1 := int32(s[2]) * 0x10101
			d[4], d[5], d[6], d[7] = clamp16(y1+rc), clamp16(y1+gc), clamp16(y1+bc), 0xff

			s, d = s[4:], d[8:]
		}
	}
	return nil
}

// clamp16 is image/color's rounding and clamping of a 16.16 fixed-point
// channel: r>>16 clamped to 0..255 equals its "r>>16 if in range, else
// ^(r>>31)". Written with min/max it compiles to conditional moves, not
// branches that mispredict on noisy frames, and it inlines.
func clamp16(v int32) uint8 {
	return uint8(min(max(v>>16, 0), 255))
}

// chromaSize is the size of img's Cb and Cr planes.
func chromaSize(img *image.YCbCr) (w, h int) {
	hs, vs := chromaShift(img.SubsampleRatio)
	r := img.Rect
	w = (r.Max.X+(1<<hs)-1)>>hs - r.Min.X>>hs
	h = (r.Max.Y+(1<<vs)-1)>>vs - r.Min.Y>>vs
	return w, h
}

// chromaShift is how many bits a luma coordinate shifts to its chroma one.
func chromaShift(r image.YCbCrSubsampleRatio) (h, v uint) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 1, 0
	case image.YCbCrSubsampleRatio420:
		return 1, 1
	case image.YCbCrSubsampleRatio440:
		return 0, 1
	case image.YCbCrSubsampleRatio411:
		return 2, 0
	case image.YCbCrSubsampleRatio410:
		return 2, 1
	}
	return 0, 0
}
