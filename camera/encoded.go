package camera

import (
	"context"
	"image"
	"sync"
)

// encodedSource is a source whose frames can be handed on as the device
// sent them (the V4L2 source, also through Reopening): the hub then decodes
// each frame at the scale each of its readers asks for (Hub.ReaderAtLeast),
// once per scale, so a half-size preview does not pay for a full decode
// and a full-size capture still gets every pixel.
type encodedSource interface {
	Source
	readEncoded(ctx context.Context) (*encoded, error)
}

// encoded is one frame, decoded on first use at each scale. A source
// without scaled decoding gives frames already decoded (img).
type encoded struct {
	format Format
	raw    []byte
	dec    *MJPEGDecoder
	img    image.Image // already decoded: every scale is this
	// judged tells the source how decoding went, once per frame, and
	// returns the error readers report instead of skipping the frame (a
	// run of undecodable frames lasting badFor); nil: nobody asks.
	judged func(err error) error

	mu      sync.Mutex
	scales  map[int]*decodeOnce
	verdict *decodeOnce // judged's answer, once
}

type decodeOnce struct {
	once sync.Once
	img  image.Image
	err  error
}

// decoded is an encoded frame that needs no decoding.
func decoded(img image.Image) *encoded { return &encoded{img: img} }

// at decodes the frame at 1/den (once per scale, however many readers ask).
// A frame that does not decode gives skip=true when readers should wait
// for the next one, or the camera's failure as err.
func (e *encoded) at(den int) (img image.Image, skip bool, err error) {
	if e.img != nil {
		return e.img, false, nil
	}
	den = scaleDen(den)
	e.mu.Lock()
	if e.scales == nil {
		e.scales = map[int]*decodeOnce{}
		e.verdict = &decodeOnce{}
	}
	d := e.scales[den]
	if d == nil {
		d = &decodeOnce{}
		e.scales[den] = d
	}
	e.mu.Unlock()
	d.once.Do(func() { d.img, d.err = decodeFrame(e.dec, e.format, e.raw, den) })
	e.verdict.once.Do(func() {
		if e.judged != nil {
			e.verdict.err = e.judged(d.err)
		}
	})
	switch {
	case d.err == nil:
		return d.img, false, nil
	case e.verdict.err != nil:
		return nil, false, e.verdict.err
	}
	return nil, true, nil
}

// denAtLeast is the largest decoding scale (1/1 … 1/8) that keeps a frame
// of format f at least w×h; 1 when either is ≤ 0 or f's size is unknown.
func denAtLeast(f Format, w, h int) int {
	if w <= 0 || h <= 0 || f.Width <= 0 || f.Height <= 0 {
		return 1
	}
	for den := 8; den > 1; den /= 2 {
		if scaledSide(f.Width, den) >= w && scaledSide(f.Height, den) >= h {
			return den
		}
	}
	return 1
}
