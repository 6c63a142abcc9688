package camera

import "image"

// lumaGrid is a picture's brightness averaged over a coarse grid: enough to
// tell that something came into view (a ticket, a hand), blind to sensor
// noise and to a few pixels of a face's sway. It costs a sample of every
// 4th pixel of every 4th row: about 0.1 ms at 1280×720.
type lumaGrid struct {
	cells [gridW * gridH]uint8
	ok    bool
}

const (
	gridW, gridH = 16, 12
	// gridChange is how far one cell's mean must move to count as a
	// change: a printed or shown QR moves cells by 40 and more; the demo
	// face's sway moves an edge cell by a few levels a pixel.
	gridChange = 24
)

func gridOf(g *image.Gray) lumaGrid {
	b := g.Bounds()
	w, h := b.Dx(), b.Dy()
	var out lumaGrid
	if w < gridW || h < gridH {
		return out
	}
	var sum [gridW * gridH]uint32
	var n [gridW * gridH]uint32
	for y := 0; y < h; y += 4 {
		row := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y):]
		cy := y * gridH / h
		for x := 0; x < w; x += 4 {
			c := cy*gridW + x*gridW/w
			sum[c] += uint32(row[x])
			n[c]++
		}
	}
	for i := range sum {
		if n[i] > 0 {
			out.cells[i] = uint8(sum[i] / n[i])
		}
	}
	out.ok = true
	return out
}

// differs reports whether some cell moved by gridChange or more; a grid
// against one never taken always differs.
func (a lumaGrid) differs(b lumaGrid) bool {
	if !a.ok || !b.ok {
		return true
	}
	for i := range a.cells {
		d := int(a.cells[i]) - int(b.cells[i])
		if d >= gridChange || d <= -gridChange {
			return true
		}
	}
	return false
}
