package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestReadGate(t *testing.T) {
	test.NewTempApp(t)
	long := widget.NewLabel(strings.Repeat("line\n", 200))
	reached := 0
	g, obj := newReadGate(long, func() {}, func() { reached++ })
	w := test.NewTempWindow(t, obj)
	w.Resize(fyne.NewSize(400, 300))
	if reached != 0 {
		t.Fatal("a long text counted as read before any scrolling")
	}
	g.scroll.ScrollToOffset(fyne.NewPos(0, 100))
	g.scroll.OnScrolled(g.scroll.Offset)
	if reached != 0 {
		t.Fatal("reading half-way counted as the end")
	}
	g.scroll.ScrollToBottom()
	g.scroll.OnScrolled(g.scroll.Offset)
	g.scroll.ScrollToTop()
	g.scroll.OnScrolled(g.scroll.Offset)
	if reached != 1 {
		t.Fatalf("onEnd called %d times, want once (and it stays reached)", reached)
	}

	short := 0
	_, obj2 := newReadGate(widget.NewLabel("two\nlines"), func() {}, func() { short++ })
	w2 := test.NewTempWindow(t, obj2)
	w2.Resize(fyne.NewSize(400, 300))
	if short != 1 {
		t.Fatal("a text that fits without scrolling did not count as read")
	}
}
