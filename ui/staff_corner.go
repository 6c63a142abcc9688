package ui

import (
	"context"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// staffCorner is the target of the staff gesture: a press held for
// staffHold on the screen's top-left corner opens the PIN pad as soon as
// the hold is long enough. On the kiosk's X11 touch screen a touch arrives
// as mouse down/up, so desktop.Mouseable sees both ends of the press; a
// short tap does nothing and shows nothing. While held, a bar fills along
// the corner's foot: staff see the gesture is taken, a subscriber who
// leans on the corner lets go before anything opens.
type staffCorner struct {
	widget.BaseWidget
	u     *UI
	down  bool
	from  time.Time // u.now() at the press
	bar   *canvas.Rectangle
	stopH context.CancelFunc // ends the hold's ticker
}

// The corner's size: the whole top-left of the screen down to below the
// header's step label, from the very edge (a finger pressed into the
// corner lands at a few pixels, not at the label).
const staffCornerW, staffCornerH = 120, 80

// staffHoldTick is how often the hold's progress is redrawn.
const staffHoldTick = 100 * time.Millisecond

func newStaffCorner(u *UI) *staffCorner {
	c := &staffCorner{u: u, bar: canvas.NewRectangle(theme.Color(theme.ColorNamePrimary))}
	c.bar.Hide()
	c.ExtendBaseWidget(c)
	return c
}

// cornerLayer lays c over the top-left of a window-sized stack.
func cornerLayer(c *staffCorner) fyne.CanvasObject {
	c.Move(fyne.NewPos(0, 0))
	c.Resize(fyne.NewSize(staffCornerW, staffCornerH))
	return container.NewWithoutLayout(c)
}

func (c *staffCorner) CreateRenderer() fyne.WidgetRenderer {
	area := canvas.NewRectangle(color.Transparent)
	area.SetMinSize(fyne.NewSize(staffCornerW, staffCornerH))
	return &cornerRenderer{c: c, area: area}
}

// Tapped swallows taps: nothing under the corner reacts, nothing shows.
func (c *staffCorner) Tapped(*fyne.PointEvent) {}

func (c *staffCorner) MouseDown(*desktop.MouseEvent) {
	c.release()
	c.down, c.from = true, c.u.now()
	ctx, cancel := context.WithCancel(context.Background())
	c.stopH = cancel
	go c.u.every(ctx, staffHoldTick, c.tick)
}

func (c *staffCorner) MouseUp(*desktop.MouseEvent) {
	if !c.down {
		return
	}
	held := c.u.now().Sub(c.from)
	c.release()
	if held >= staffHold {
		c.u.openStaff()
	}
}

// tick shows the hold's progress and opens the PIN pad once it is done.
func (c *staffCorner) tick() {
	if !c.down {
		return
	}
	p := float32(c.u.now().Sub(c.from)) / float32(staffHold)
	if p >= 1 {
		c.release()
		c.u.openStaff()
		return
	}
	c.bar.Show()
	c.bar.Move(fyne.NewPos(0, staffCornerH-8))
	c.bar.Resize(fyne.NewSize(staffCornerW*p, 8))
	c.bar.Refresh()
}

// release ends a hold: no ticker, no bar.
func (c *staffCorner) release() {
	c.down = false
	if c.stopH != nil {
		c.stopH()
		c.stopH = nil
	}
	c.bar.Hide()
}

// progress is the bar's share of the corner (for tests).
func (c *staffCorner) progress() float32 {
	if !c.bar.Visible() {
		return 0
	}
	return c.bar.Size().Width / staffCornerW
}

type cornerRenderer struct {
	c    *staffCorner
	area *canvas.Rectangle
}

func (r *cornerRenderer) Layout(s fyne.Size) { r.area.Resize(s) }
func (r *cornerRenderer) MinSize() fyne.Size { return r.area.MinSize() }
func (r *cornerRenderer) Refresh()           { r.area.Refresh(); r.c.bar.Refresh() }
func (r *cornerRenderer) Destroy()           {}
func (r *cornerRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.area, r.c.bar}
}
