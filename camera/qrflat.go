package camera

import "image"

// qrFlatten divides each pixel by the brightest within r pixels (a square
// window): light modules come out white wherever they are, whatever the
// local light. It undoes what a local threshold cannot follow when the
// light changes within a few modules: a phone screen's moiré bands and the
// edge of a reflection. r should be about 1.5 modules, so every window
// holds a light module.
func qrFlatten(g *image.Gray, r int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	peak := qrMaxFilter(g, r)
	// 255·v/peak through a table of reciprocals: a division per pixel
	// would be most of the cost. v ≤ peak, so the result fits a byte.
	var recip [256]uint32
	for p := range recip {
		recip[p] = (255<<16 + uint32(max(p, 1)) - 1) / uint32(max(p, 1))
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		src, top, dst := g.Pix[y*g.Stride:y*g.Stride+w], peak.Pix[y*w:(y+1)*w], out.Pix[y*w:(y+1)*w]
		for x, v := range src {
			dst[x] = uint8(min(255, uint32(v)*recip[top[x]]>>16))
		}
	}
	return out
}

// qrMaxFilter is the maximum over a (2r+1)² square around each pixel,
// as two 1-D passes of van Herk/Gil-Werman: running maxima forward and
// backward within blocks of 2r+1, so that any window is one block's
// suffix and the next one's prefix (three comparisons a pixel whatever r).
// Outside the image counts as black. The vertical pass runs along whole
// rows, so both read memory in order.
func qrMaxFilter(g *image.Gray, r int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	k := 2*r + 1
	// Horizontal, one padded row at a time.
	rows := make([]uint8, w*h)
	n := w + 2*r
	pad, pre, suf := make([]uint8, n), make([]uint8, n), make([]uint8, n)
	for y := range h {
		copy(pad[r:r+w], g.Pix[y*g.Stride:y*g.Stride+w])
		for b := 0; b < n; b += k { // blocks of k: prefix maxima forward, suffix maxima back
			e := min(b+k, n)
			cur := uint32(0)
			for i := b; i < e; i++ {
				cur = max(cur, uint32(pad[i]))
				pre[i] = uint8(cur)
			}
			cur = 0
			for i := e - 1; i >= b; i-- {
				cur = max(cur, uint32(pad[i]))
				suf[i] = uint8(cur)
			}
		}
		dst := rows[y*w : (y+1)*w]
		for i := range dst {
			dst[i] = uint8(max(uint32(suf[i]), uint32(pre[i+2*r])))
		}
	}
	// Vertical: the same over padded row indices, a row at a time.
	m := h + 2*r
	vpre, vsuf := make([]uint8, m*w), make([]uint8, m*w)
	zero := make([]uint8, w)
	row := func(i int) []uint8 {
		if i < r || i >= h+r {
			return zero
		}
		return rows[(i-r)*w : (i-r+1)*w]
	}
	// (A max of uint8s compiles to a branch, of uint32s to a conditional
	// move: on random modules that is 3× the time.)
	maxRow := func(dst, a, b []uint8) {
		for x := range dst {
			dst[x] = uint8(max(uint32(a[x]), uint32(b[x])))
		}
	}
	for b := 0; b < m; b += k {
		e := min(b+k, m)
		copy(vpre[b*w:(b+1)*w], row(b))
		for i := b + 1; i < e; i++ {
			maxRow(vpre[i*w:(i+1)*w], vpre[(i-1)*w:i*w], row(i))
		}
		copy(vsuf[(e-1)*w:e*w], row(e-1))
		for i := e - 2; i >= b; i-- {
			maxRow(vsuf[i*w:(i+1)*w], vsuf[(i+1)*w:(i+2)*w], row(i))
		}
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		maxRow(out.Pix[y*w:(y+1)*w], vsuf[y*w:(y+1)*w], vpre[(y+2*r)*w:(y+2*r+1)*w])
	}
	return out
}
