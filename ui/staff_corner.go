package ui

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// staffCorner is the invisible target of the staff gesture: a press held
// for staffHold in the top-left corner opens the PIN pad. On the kiosk's X11
// touch screen a touch arrives as mouse down/up, so desktop.Mouseable sees
// both ends of the press; a short tap does nothing.
type staffCorner struct {
	widget.BaseWidget
	u    *UI
	down bool
	from time.Time // u.now() at the press
}

// staffCornerWidth is the target's width; its height is the bar it sits in.
const staffCornerWidth = 96

func newStaffCorner(u *UI) *staffCorner {
	c := &staffCorner{u: u}
	c.ExtendBaseWidget(c)
	return c
}

func (c *staffCorner) CreateRenderer() fyne.WidgetRenderer {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(staffCornerWidth, 0))
	return widget.NewSimpleRenderer(r)
}

// Tapped swallows taps: nothing under the corner reacts, nothing shows.
func (c *staffCorner) Tapped(*fyne.PointEvent) {}

func (c *staffCorner) MouseDown(*desktop.MouseEvent) {
	c.down, c.from = true, c.u.now()
}

func (c *staffCorner) MouseUp(*desktop.MouseEvent) {
	if !c.down {
		return
	}
	c.down = false
	if c.u.now().Sub(c.from) >= staffHold {
		c.u.openStaff()
	}
}
