package camera

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Folder loops over the PNG and JPEG pictures in a folder at a set rate: a
// camera for tests, demos and installers without a webcam.
type Folder struct {
	Every time.Duration

	mu     sync.Mutex
	frames []image.Image
	i      int
	closed bool
}

// NewFolder loads every picture in dir (sorted by name), each within
// DecodePicture's limits; it refuses the folder naming the first picture
// that is not.
func NewFolder(dir string, fps int) (*Folder, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("camera folder: %w", err)
	}
	var names []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	f := &Folder{Every: time.Second / time.Duration(max(fps, 1))}
	for _, n := range names {
		img, err := DecodePictureFile(filepath.Join(dir, n))
		if err != nil {
			return nil, fmt.Errorf("camera folder: %s: %w", n, err)
		}
		f.frames = append(f.frames, img)
	}
	if len(f.frames) == 0 {
		return nil, fmt.Errorf("camera folder %s: no PNG or JPEG pictures", dir)
	}
	return f, nil
}

// Read implements Source.
func (f *Folder) Read(ctx context.Context) (image.Image, error) {
	t := time.NewTimer(f.Every)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, ErrClosed
	}
	img := f.frames[f.i%len(f.frames)]
	f.i++
	return img, nil
}

// Close implements Source.
func (f *Folder) Close() error {
	f.mu.Lock()
	f.closed = true
	f.frames = nil
	f.mu.Unlock()
	return nil
}
