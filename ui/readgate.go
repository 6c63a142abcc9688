package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// readGate holds a consent's "I agree" until the text was scrolled to its
// end (or fits on screen without scrolling): agreeing to a text nobody could
// have seen the end of is not consent. Once reached, it stays reached.
type readGate struct {
	scroll  *container.Scroll
	reached bool
	onEnd   func()
}

// slack forgives the last few pixels (rounding, a finger stopping short).
const readSlack = 24

// newReadGate wraps content in a vertical scroll that calls onEnd once,
// when its end has been on screen; touched reports any scrolling.
func newReadGate(content fyne.CanvasObject, touched, onEnd func()) (*readGate, fyne.CanvasObject) {
	g := &readGate{scroll: container.NewVScroll(content), onEnd: onEnd}
	g.scroll.OnScrolled = func(fyne.Position) {
		touched()
		g.check()
	}
	// The layout runs at every resize: a text shorter than the window
	// counts as read without any scrolling.
	return g, container.New(gateLayout{g}, g.scroll)
}

func (g *readGate) check() {
	if g.reached {
		return
	}
	view := g.scroll.Size().Height
	if view <= 0 {
		return // not laid out yet
	}
	if g.scroll.Offset.Y+view >= g.scroll.Content.MinSize().Height-readSlack {
		g.reached = true
		g.onEnd()
	}
}

type gateLayout struct{ g *readGate }

func (l gateLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
	l.g.check()
}

func (l gateLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return l.g.scroll.MinSize()
}
