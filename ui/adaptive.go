package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// sideBySide lays its objects out in a row when they fit the width they are
// given, and one above the other when they do not: the same screen then
// reads on a landscape kiosk (1280×800 … 1920×1080) and a portrait one
// (1080×1920) without a second definition. In a row, the space left over
// goes to the objects by weight; in a column, it goes to the object marked
// grow (the camera preview, a scrolled text).
type sideBySide struct {
	weights []float32 // per object in a row; missing ones weigh 1
	grow    int       // index of the object that takes spare height in a column; -1 for none
	wide    bool      // a row only when the space is also wider than tall (a camera preview wants width)
}

// row builds a sideBySide container; weights may be nil.
func row(weights []float32, grow int, objs ...fyne.CanvasObject) *fyne.Container {
	return container.New(&sideBySide{weights: weights, grow: grow}, objs...)
}

// wideRow is row, but stacks in a space taller than wide even when the
// objects would fit side by side (the camera screen on a portrait kiosk:
// the preview on top, full width).
func wideRow(weights []float32, grow int, objs ...fyne.CanvasObject) *fyne.Container {
	return container.New(&sideBySide{weights: weights, grow: grow, wide: true}, objs...)
}

func (s *sideBySide) visible(objs []fyne.CanvasObject) []int {
	var out []int
	for i, o := range objs {
		if o.Visible() {
			out = append(out, i)
		}
	}
	return out
}

func (s *sideBySide) weight(i int) float32 {
	if i < len(s.weights) && s.weights[i] > 0 {
		return s.weights[i]
	}
	return 1
}

// fits reports whether the objects' minimum widths fit side by side.
func (s *sideBySide) fits(objs []fyne.CanvasObject, vis []int, width float32) bool {
	pad := theme.Padding()
	need := pad * float32(max(len(vis)-1, 0))
	for _, i := range vis {
		need += objs[i].MinSize().Width
	}
	return need <= width
}

func (s *sideBySide) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	vis := s.visible(objs)
	if len(vis) == 0 {
		return
	}
	pad := theme.Padding()
	if s.fits(objs, vis, size.Width) && (!s.wide || size.Width >= size.Height) {
		spare := size.Width - pad*float32(len(vis)-1)
		var total float32
		for _, i := range vis {
			spare -= objs[i].MinSize().Width
			total += s.weight(i)
		}
		x := float32(0)
		for _, i := range vis {
			w := objs[i].MinSize().Width + spare*s.weight(i)/total
			objs[i].Move(fyne.NewPos(x, 0))
			objs[i].Resize(fyne.NewSize(w, size.Height))
			x += w + pad
		}
		return
	}
	spare := size.Height - pad*float32(len(vis)-1)
	for _, i := range vis {
		spare -= objs[i].MinSize().Height
	}
	y := float32(0)
	for _, i := range vis {
		h := objs[i].MinSize().Height
		if i == s.grow && spare > 0 {
			h += spare
		}
		objs[i].Move(fyne.NewPos(0, y))
		objs[i].Resize(fyne.NewSize(size.Width, h))
		y += h + pad
	}
}

// MinSize is the least of both arrangements in each direction (the widest
// object's width, the tallest object's height), so neither orientation
// forces the window larger; Layout picks the arrangement that fits.
func (s *sideBySide) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, i := range s.visible(objs) {
		m = m.Max(objs[i].MinSize())
	}
	return m
}
