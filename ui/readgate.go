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
	return g, scrolledDocument(g.scroll, g.check)
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

// documentLayout holds the scroll of a legal text or of the application:
// the only thing on a subscriber's screen that may be longer than the
// screen (the fit tests check that everything else shows without
// scrolling). after, when set, runs after every layout.
type documentLayout struct{ after func() }

// scrolledDocument wraps a scrolled legal text or application.
func scrolledDocument(scroll *container.Scroll, after func()) *fyne.Container {
	return container.New(documentLayout{after}, scroll)
}

func (l documentLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
	if l.after != nil {
		l.after()
	}
}

func (l documentLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		m = m.Max(o.MinSize())
	}
	return m
}
