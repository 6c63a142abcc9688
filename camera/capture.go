package camera

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
)

// Capturer takes the frames of one biometric attempt from a Source.
// STAND-IN for the analysed capture of the camera issue: it takes Frames
// frames as they come, without face tracking or the challenge check.
type Capturer struct {
	Source Source
	Frames int // how many frames an attempt sends
}

// Capture implements the kiosk's Capturer: frames, JPEG-encoded, in memory.
func (c Capturer) Capture(ctx context.Context, challenge string) ([][]byte, error) {
	n := max(c.Frames, 1)
	out := make([][]byte, 0, n)
	for range n {
		img, err := c.Source.Read(ctx)
		if err != nil {
			return nil, fmt.Errorf("capture: %w", err)
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
			return nil, fmt.Errorf("capture: encode: %w", err)
		}
		out = append(out, b.Bytes())
	}
	return out, nil
}
