package camera

import (
	"context"
	"errors"
	"image"
)

// Source gives frames, one per Read, paced by the device (or the source's
// own rate). Read blocks until a frame, ctx's end, or a failure.
type Source interface {
	Read(ctx context.Context) (image.Image, error)
	Close() error
}

// ErrClosed is returned by Read after Close.
var ErrClosed = errors.New("camera source closed")
