//go:build !cgo || noturbo

package camera

import "image"

// MJPEGDecoderName names the decoder this build uses (README, logs, probe).
const MJPEGDecoderName = "image/jpeg (pure Go fallback)"

// handlePool holds nothing without libjpeg-turbo.
type handlePool struct{}

func (*handlePool) close() {}

// decode is image/jpeg at full size, then every den-th sample.
func (d *MJPEGDecoder) decode(b []byte, den int) (image.Image, error) {
	img, err := decodeGo(b)
	if err != nil {
		return nil, err
	}
	return subsample(img, den), nil
}
