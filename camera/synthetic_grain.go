package camera

import (
	"image"
	"math/rand/v2"
)

// grainDots is how many pixels of each synthetic frame get a sensor's
// noise: a real camera never gives the same frame twice, and the provider
// refuses a frame it has judged before, but the drawn subscriber at rest
// draws the same picture every time. A few dots change every JPEG and
// nothing the face analysis sees.
const grainDots = 24

// sensorNoise puts grainDots random grey dots on img, away from nothing in
// particular: they are too few and too small to matter to pigo.
func sensorNoise(img *image.RGBA) *image.RGBA {
	n := len(img.Pix) / 4
	if n == 0 {
		return img
	}
	for range grainDots {
		i := 4 * rand.IntN(n)
		v := uint8(rand.IntN(256))
		img.Pix[i], img.Pix[i+1], img.Pix[i+2] = v, v, v
	}
	return img
}
