package ui

import (
	"context"
	"image"
)

// frameTap is a camera.Source fed by another reader (the idle preview):
// Read returns the newest frame or error put since the last Read, waiting
// for one; older ones are dropped, so a slow reader never queues frames.
// One goroutine puts.
type frameTap struct{ ch chan tapped }

type tapped struct {
	img image.Image
	err error
}

func newFrameTap() *frameTap { return &frameTap{ch: make(chan tapped, 1)} }

// put replaces an unread event with this one.
func (t *frameTap) put(img image.Image, err error) {
	select {
	case <-t.ch:
	default:
	}
	t.ch <- tapped{img, err} // the one putter just emptied the slot
}

func (t *frameTap) Read(ctx context.Context) (image.Image, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case e := <-t.ch:
		return e.img, e.err
	}
}

func (t *frameTap) Close() error { return nil }
