// Package facetest builds test scenes from pigo's sample face (MIT, one
// frontal face, read from the module cache at test time): shifted, scaled,
// darkened, blurred, doubled, absent, and horizontal moves for the turn
// challenges. For tests only.
package facetest

import (
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// SamplePath finds pigo's testdata/sample.jpg in the module cache.
func SamplePath() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/esimov/pigo").Output()
	if err != nil {
		return "", fmt.Errorf("facetest: go list pigo: %w", err)
	}
	p := filepath.Join(strings.TrimSpace(string(out)), "testdata", "sample.jpg")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("facetest: %w", err)
	}
	return p, nil
}

// Sample returns the sample face's luma, skipping the test when the module
// cache does not hold it.
func Sample(t testing.TB) *image.Gray {
	t.Helper()
	p, err := SamplePath()
	if err != nil {
		t.Skipf("pigo's testdata/sample.jpg is not available (%v); face tests need it", err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Skipf("pigo's sample.jpg: %v", err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatalf("decode sample.jpg: %v", err)
	}
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	return g
}

// Backdrop is a w×h frame of mild, seeded texture: a wall with some grain.
func Backdrop(w, h int, seed uint64) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(seed, 1))
	for y := range h {
		for x := range w {
			g.Pix[y*g.Stride+x] = uint8(110 + 30*y/h + r.IntN(12))
		}
	}
	return g
}

// Noise is a frame of coarse random blocks: texture with no face.
func Noise(w, h int, seed uint64) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(seed, 2))
	const blk = 6
	for by := 0; by < h; by += blk {
		for bx := 0; bx < w; bx += blk {
			v := uint8(40 + r.IntN(180))
			for y := by; y < min(by+blk, h); y++ {
				for x := bx; x < min(bx+blk, w); x++ {
					g.Pix[y*g.Stride+x] = v
				}
			}
		}
	}
	return g
}

// Place draws src scaled to width w (keeping its aspect) centred at (cx, cy)
// onto dst, bilinear, clipped.
func Place(dst, src *image.Gray, cx, cy, w int) {
	sb := src.Bounds()
	h := w * sb.Dy() / sb.Dx()
	x0, y0 := cx-w/2, cy-h/2
	fx, fy := float64(sb.Dx())/float64(w), float64(sb.Dy())/float64(h)
	db := dst.Bounds()
	for y := max(y0, db.Min.Y); y < min(y0+h, db.Max.Y); y++ {
		sy := (float64(y-y0)+0.5)*fy - 0.5
		iy := min(max(int(sy), 0), sb.Dy()-2)
		ty := sy - float64(iy)
		for x := max(x0, db.Min.X); x < min(x0+w, db.Max.X); x++ {
			sx := (float64(x-x0)+0.5)*fx - 0.5
			ix := min(max(int(sx), 0), sb.Dx()-2)
			tx := sx - float64(ix)
			p := src.PixOffset(sb.Min.X+ix, sb.Min.Y+iy)
			a, b := float64(src.Pix[p]), float64(src.Pix[p+1])
			c, d := float64(src.Pix[p+src.Stride]), float64(src.Pix[p+src.Stride+1])
			v := (a*(1-tx)+b*tx)*(1-ty) + (c*(1-tx)+d*tx)*ty
			dst.Pix[dst.PixOffset(x, y)] = uint8(v + 0.5)
		}
	}
}

// Scene is a w×h frame with the sample face (width fw) at (cx, cy).
func Scene(face *image.Gray, w, h, cx, cy, fw int) *image.Gray {
	g := Backdrop(w, h, 7)
	Place(g, face, cx, cy, fw)
	return g
}

// Scale multiplies luma by k around 0 (k < 1 darkens, > 1 brightens).
func Scale(g *image.Gray, k float64) *image.Gray {
	out := image.NewGray(g.Bounds())
	for i, v := range g.Pix {
		out.Pix[i] = uint8(min(max(float64(v)*k, 0), 255))
	}
	return out
}

// Blur box-blurs g with radius r, separably.
func Blur(g *image.Gray, r int) *image.Gray {
	b := g.Bounds()
	tmp, out := image.NewGray(b), image.NewGray(b)
	pass := func(dst, src *image.Gray, dx, dy int) {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				s, n := 0, 0
				for k := -r; k <= r; k++ {
					p := image.Pt(x+k*dx, y+k*dy)
					if p.In(b) {
						s += int(src.Pix[src.PixOffset(p.X, p.Y)])
						n++
					}
				}
				dst.Pix[dst.PixOffset(x, y)] = uint8(s / n)
			}
		}
	}
	pass(tmp, g, 1, 0)
	pass(out, tmp, 0, 1)
	return out
}
