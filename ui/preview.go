package ui

import (
	"context"
	"errors"
	"image"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"

	"almatel.kz/signkiosk/camera"
)

// preview shows camera frames. Frames arrive on a camera goroutine; offer
// hands at most fps of them a second to the UI thread and drops the rest,
// so a slow screen never queues up frames (or memory).
type preview struct {
	u     *UI
	img   *canvas.Image
	every time.Duration
	// readEvery, when set and shorter than every, reads frames that often
	// for tap and shows only every's share of them: the idle screen
	// scans for tickets more often than a repaint of the whole window is
	// worth showing.
	readEvery time.Duration
	maxW      float32 // the largest it is drawn, and its thumbnails' size
	maxH      float32
	next      atomic.Int64 // unix ns the next frame is due (a steady beat, see early)
	pending   atomic.Bool  // a frame is on its way to the UI thread
	stopped   bool         // UI thread only
	// Two thumbnails, filled in turn on run's goroutine: the one shown
	// stays untouched while the next is made, and no frame allocates.
	bufs [2]*image.RGBA
	flip int
	// tap, when set, gets every frame the preview reads and every read
	// error (run's goroutine): the idle screen's scanner looks at the
	// frames the preview shows, so each camera frame is decoded once.
	tap func(image.Image, error)
	// look, while set, analyses each frame about to be shown (run's
	// goroutine), and onLook draws its result with that frame (UI thread):
	// the face guidance of the camera screen, one repaint per frame.
	look   atomic.Pointer[func(image.Image) Live]
	onLook func(Live)
	box    *fyne.Container
	aspect float32 // of the frames laid out (UI thread)
}

// newPreview shows fps frames a second, at least w×h and at most
// maxW×maxH (its thumbnails' size: no pixel is made that is not drawn).
func newPreview(u *UI, w, h, maxW, maxH float32, fps int) *preview {
	img := canvas.NewImageFromImage(nil)
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScaleFastest
	img.SetMinSize(fyne.NewSize(w, h))
	return &preview{u: u, img: img, maxW: maxW, maxH: maxH, every: time.Second / time.Duration(max(fps, 1))}
}

// object is the preview, at most maxW×maxH and of the
// frames' shape, centred in the space it is given; extra objects (a face
// guide) are stacked on it. No backdrop: under software GL every pixel a
// shape covers is paid for at each frame, and the window's background is
// drawn anyway.
func (p *preview) object(extra ...fyne.CanvasObject) fyne.CanvasObject {
	p.box = container.New(&previewLayout{p}, append([]fyne.CanvasObject{p.img}, extra...)...)
	return p.box
}

// offer may be called from any goroutine; false: frame was dropped. v,
// when not nil, is the frame's analysis, drawn with it.
func (p *preview) offer(frame image.Image, v *Live) bool {
	now := time.Now().UnixNano()
	next := p.next.Load()
	if now < next-p.early() || !p.pending.CompareAndSwap(false, true) {
		return false
	}
	// the beat goes on from when the frame was due, not from when it came,
	// so the rate is fps exactly; after a stall it starts again from now
	if next += int64(p.every); next < now {
		next = now + int64(p.every)
	}
	p.next.Store(next)
	p.u.do(func() {
		p.pending.Store(false)
		if p.stopped {
			return
		}
		p.img.Image = frame
		if b := frame.Bounds(); b.Dy() > 0 && p.box != nil {
			if a := float32(b.Dx()) / float32(b.Dy()); a != p.aspect {
				p.aspect = a
				p.box.Refresh() // lays the box out at the frames' shape
			}
		}
		p.img.Refresh()
		if v != nil && p.onLook != nil && p.look.Load() != nil {
			p.onLook(*v)
		}
		p.u.previewFrames.Add(1)
	})
	return true
}

// setLook starts (f) or stops (nil) the analysis of shown frames.
func (p *preview) setLook(f func(image.Image) Live) {
	if f == nil {
		p.look.Store(nil)
		return
	}
	p.look.Store(&f)
}

// previewLayout gives the picture and what is stacked on it the largest
// box of the frames' shape (4:3 before the first) that fits both the space
// and maxW×maxH, centred: the thumbnail is drawn near its own
// size, not stretched over the screen.
type previewLayout struct{ p *preview }

func (l *previewLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	aspect := l.p.aspect
	if aspect <= 0 {
		aspect = 4.0 / 3
	}
	w := min(size.Width, l.p.maxW)
	h := min(size.Height, l.p.maxH)
	if w/h > aspect {
		w = h * aspect
	} else {
		h = w / aspect
	}
	pos := fyne.NewPos((size.Width-w)/2, (size.Height-h)/2)
	for _, o := range objs {
		o.Move(pos)
		o.Resize(fyne.NewSize(w, h))
	}
}

func (l *previewLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return objs[0].MinSize()
}

// The camera screen's preview at most: big enough for a subscriber to see
// their face at arm's length, small enough that a frame uploads ~1 MB and
// software GL fills no more than it must.
const previewMaxW, previewMaxH = 800, 600

// run reads src until ctx ends and shows what it reads, mirrored and scaled
// down on this goroutine (the UI thread only draws). A failing camera is
// reported through lost (nil: logged only) with its error, and nil once it
// is back, and retried (it may be replugged); a closed one ends the loop.
func (p *preview) run(ctx context.Context, src camera.Source, lost func(error)) {
	// Fyne keeps a screen's objects (this preview among them) for a while
	// after the screen is gone: the thumbnails, 1.4 MB each on the camera
	// screen, go now, not with them.
	defer func() { p.bufs = [2]*image.RGBA{} }()
	down := false
	var nextRead time.Time // for readEvery
	for {
		// Not read before it would be shown (or tapped): an unread camera
		// costs nothing (the hub reads the device only for a waiting
		// reader).
		wait := p.untilDue()
		if p.readEvery > 0 {
			wait = min(wait, time.Until(nextRead))
		}
		if wait > 0 && !sleep(ctx, wait) {
			return
		}
		nextRead = time.Now().Add(p.readEvery)
		frame, err := src.Read(ctx)
		if p.tap != nil && ctx.Err() == nil {
			p.tap(frame, err)
		}
		switch {
		case ctx.Err() != nil, errors.Is(err, camera.ErrClosed):
			return
		case err != nil:
			if !down {
				p.u.log.Warn().Err(err).Msg("camera preview read failed")
				down = true
				if lost != nil {
					lost(err)
				}
			}
			if !sleep(ctx, 200*time.Millisecond) {
				return
			}
		default:
			if down {
				down = false
				p.u.log.Info().Msg("camera preview back")
				if lost != nil {
					lost(nil)
				}
			}
			if p.due() {
				var v *Live
				if look := p.look.Load(); look != nil {
					a := (*look)(frame)
					v = &a
				}
				p.bufs[p.flip] = camera.Thumbnail(p.bufs[p.flip], frame, int(p.maxW), int(p.maxH), true)
				if p.offer(p.bufs[p.flip], v) {
					p.flip ^= 1 // the other one is no longer on screen
				}
			}
		}
	}
}

// due reports whether a frame would be shown now (so the thumbnail is not
// made for frames offer would drop).
func (p *preview) due() bool {
	return time.Now().UnixNano() >= p.next.Load()-p.early() && !p.pending.Load()
}

// untilDue is how long until a frame would be shown.
func (p *preview) untilDue() time.Duration {
	return time.Duration(p.next.Load() - p.early() - time.Now().UnixNano())
}

// early is how long before its beat a frame is still shown: a quarter of
// the interval, because frames come with jitter at about the camera's own
// rate, and a strict beat at that rate would drop every other one. (A gap
// of three quarters from the last frame shown instead let a 30 fps camera
// through at 17–20 fps where 15 were asked, each one a repaint.)
func (p *preview) early() int64 { return int64(p.every) / 4 }

// clear drops the last frame from the screen (frames are personal data).
// UI thread only.
func (p *preview) clear() {
	p.stopped = true
	p.img.Image = nil
	p.img.Refresh()
}

// sleep waits d or until ctx ends; false means ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
