//go:build cgo && !noturbo

package camera

/*
#cgo LDFLAGS: -lturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>

// The planes go in a C array: cgo may not pass Go memory holding Go
// pointers.
static int sk_yuv(tjhandle h, const unsigned char *buf, unsigned long n,
		unsigned char *y, unsigned char *cb, unsigned char *cr, int ys, int cs, int w, int ht) {
	unsigned char *planes[3] = {y, cb, cr};
	int strides[3] = {ys, cs, cs};
	return tjDecompressToYUVPlanes(h, buf, n, planes, w, strides, ht, TJFLAG_STOPONWARNING);
}
*/
import "C"

import (
	"errors"
	"image"
	"sync"
	"unsafe"
)

// MJPEGDecoderName names the decoder this build uses (README, logs, probe).
const MJPEGDecoderName = "libjpeg-turbo"

// handlePool keeps a few decompressor handles: making one allocates
// libjpeg's state, and the kiosk decodes 15–30 frames a second.
type handlePool struct {
	mu     sync.Mutex
	free   []C.tjhandle
	closed bool
}

// maxIdleHandles: the preview, the guidance and a capture decode at once.
const maxIdleHandles = 4

func (p *handlePool) get() (C.tjhandle, error) {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		h := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return h, nil
	}
	p.mu.Unlock()
	h := C.tjInitDecompress()
	if h == nil {
		return nil, errors.New("mjpeg: libjpeg-turbo: cannot make a decompressor")
	}
	return h, nil
}

func (p *handlePool) put(h C.tjhandle) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.free) >= maxIdleHandles {
		C.tjDestroy(h)
		return
	}
	p.free = append(p.free, h)
}

func (p *handlePool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.free {
		C.tjDestroy(h)
	}
	p.free, p.closed = nil, true
}

// turboRatio maps libjpeg-turbo's chroma subsampling to image/jpeg's.
var turboRatio = map[C.int]image.YCbCrSubsampleRatio{
	C.TJSAMP_444: image.YCbCrSubsampleRatio444, C.TJSAMP_422: image.YCbCrSubsampleRatio422,
	C.TJSAMP_420: image.YCbCrSubsampleRatio420, C.TJSAMP_440: image.YCbCrSubsampleRatio440,
	C.TJSAMP_411: image.YCbCrSubsampleRatio411,
}

// decode decompresses straight into the planes of an image.YCbCr (or the
// pixels of an image.Gray), scaled in the DCT domain. A frame libjpeg-turbo
// cannot give as YCbCr (an RGB or CMYK JPEG, no webcam's) goes to
// image/jpeg. libjpeg-turbo supplies the standard Huffman tables a UVC
// frame leaves out; a warning (a truncated frame) is an error.
func (d *MJPEGDecoder) decode(b []byte, den int) (image.Image, error) {
	h, err := d.handles.get()
	if err != nil {
		return nil, err
	}
	defer d.handles.put(h)
	buf, n := (*C.uchar)(unsafe.Pointer(&b[0])), C.ulong(len(b))
	var w, ht, samp, cs C.int
	if C.tjDecompressHeader3(h, buf, n, &w, &ht, &samp, &cs) != 0 {
		return nil, turboErr(h)
	}
	if w <= 0 || ht <= 0 || w > maxMJPEGSide || ht > maxMJPEGSide {
		return nil, errors.New("mjpeg: frame has no usable size")
	}
	sw, sh := scaledSide(int(w), den), scaledSide(int(ht), den)
	r := image.Rect(0, 0, sw, sh)
	if samp == C.TJSAMP_GRAY {
		g := image.NewGray(r)
		if C.sk_yuv(h, buf, n, (*C.uchar)(&g.Pix[0]), nil, nil, C.int(g.Stride), 0, C.int(sw), C.int(sh)) != 0 {
			return nil, turboErr(h)
		}
		return g, nil
	}
	ratio, ok := turboRatio[samp]
	if !ok || (cs != C.TJCS_YCbCr) {
		img, err := decodeGo(b)
		if err != nil {
			return nil, err
		}
		return subsample(img, den), nil
	}
	// libjpeg-turbo writes whole MCUs: a plane is padded to the
	// subsampling (an odd width at 4:2:2 is one luma column wider), so the
	// planes are allocated at its sizes and the picture is the r of them.
	yw, yh := int(C.tjPlaneWidth(0, C.int(sw), samp)), int(C.tjPlaneHeight(0, C.int(sh), samp))
	cw, ch := int(C.tjPlaneWidth(1, C.int(sw), samp)), int(C.tjPlaneHeight(1, C.int(sh), samp))
	pix := make([]byte, yw*yh+2*cw*ch)
	y := &image.YCbCr{Y: pix[: yw*yh : yw*yh], Cb: pix[yw*yh : yw*yh+cw*ch : yw*yh+cw*ch], Cr: pix[yw*yh+cw*ch:],
		YStride: yw, CStride: cw, SubsampleRatio: ratio, Rect: r}
	if C.sk_yuv(h, buf, n, (*C.uchar)(&y.Y[0]), (*C.uchar)(&y.Cb[0]), (*C.uchar)(&y.Cr[0]),
		C.int(y.YStride), C.int(y.CStride), C.int(sw), C.int(sh)) != 0 {
		return nil, turboErr(h)
	}
	return y, nil
}

// turboErr is the handle's last error, as a Go error.
func turboErr(h C.tjhandle) error {
	return errors.New("mjpeg: " + C.GoString(C.tjGetErrorStr2(h)))
}
