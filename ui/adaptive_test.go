package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
)

func minBox(w, h float32) *canvas.Rectangle {
	r := canvas.NewRectangle(nil)
	r.SetMinSize(fyne.NewSize(w, h))
	return r
}

func TestSideBySide(t *testing.T) {
	a, b := minBox(400, 300), minBox(300, 200)
	c := row([]float32{3, 1}, 0, a, b)
	c.Resize(fyne.NewSize(1100, 600)) // fits: a row, spare width shared 3:1
	if a.Position().Y != 0 || b.Position().Y != 0 || b.Position().X <= a.Position().X {
		t.Fatalf("not a row: a %v b %v", a.Position(), b.Position())
	}
	if a.Size().Width <= 400 || a.Size().Width-400 < 2.5*(b.Size().Width-300) {
		t.Fatalf("spare width not shared 3:1: a %v b %v", a.Size(), b.Size())
	}
	c.Resize(fyne.NewSize(600, 900)) // does not fit: a column, spare height to a
	if a.Position().X != 0 || b.Position().X != 0 || b.Position().Y <= a.Position().Y || a.Size().Height <= 300 {
		t.Fatalf("not a column: a %v %v b %v", a.Position(), a.Size(), b.Position())
	}
	if m := c.MinSize(); m.Width != 400 || m.Height != 300 {
		t.Fatalf("MinSize %v, want the largest of each (400×300)", m)
	}
	// wideRow stacks a portrait space even when the row would fit.
	w := wideRow(nil, 0, a, b)
	w.Resize(fyne.NewSize(1000, 1600))
	if b.Position().Y <= a.Position().Y {
		t.Fatal("wideRow made a row in a portrait space")
	}
	w.Resize(fyne.NewSize(1600, 1000))
	if b.Position().Y != 0 {
		t.Fatal("wideRow stacked a landscape space")
	}
}
