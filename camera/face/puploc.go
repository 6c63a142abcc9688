package face

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"

	pigo "github.com/esimov/pigo/core"
)

// puploc is pigo's pupil locator (PuplocCascade.RunDetector without
// rotation or flip) on the same cascade, giving the same answer for the
// same perturbations (puploc_test.go compares them), in a third of the
// time: pigo rounds the scale four times at every tree node, where it only
// changes between stages, and its median reads a 63-slot pooled buffer
// whatever the number of perturbations. On the camera screen the pupils
// of every shown frame were 7 % of a core.
type puploc struct {
	stages, trees, depth int // depth: of each tree, in levels
	scale                float32
	codes                []int8    // per tree 4·(2^depth−1): two pixel offsets per node
	preds                []float32 // per tree 2·2^depth: row and column shift per leaf
}

// parsePuploc reads pigo's puploc cascade format.
func parsePuploc(b []byte) (*puploc, error) {
	if len(b) < 16 {
		return nil, errors.New("puploc cascade: too short")
	}
	p := &puploc{
		stages: int(binary.LittleEndian.Uint32(b)),
		scale:  math.Float32frombits(binary.LittleEndian.Uint32(b[4:])),
		trees:  int(binary.LittleEndian.Uint32(b[8:])),
		depth:  int(binary.LittleEndian.Uint32(b[12:])),
	}
	if p.stages <= 0 || p.trees <= 0 || p.depth <= 0 || p.depth > 16 || p.stages*p.trees > 1<<20 {
		return nil, errors.New("puploc cascade: implausible header")
	}
	leaves := 1 << p.depth
	per := 4*leaves - 4 + 8*leaves
	if len(b)-16 < p.stages*p.trees*per {
		return nil, errors.New("puploc cascade: truncated")
	}
	pos := 16
	for range p.stages * p.trees {
		for _, c := range b[pos : pos+4*leaves-4] {
			p.codes = append(p.codes, int8(c))
		}
		pos += 4*leaves - 4
		for range 2 * leaves {
			p.preds = append(p.preds, math.Float32frombits(binary.LittleEndian.Uint32(b[pos:])))
			pos += 4
		}
	}
	return p, nil
}

// locate runs the cascade from n perturbations of (row, col, scale) drawn
// with rnd, as pigo does, and returns the median row and column.
func (p *puploc) locate(row, col int, scale float32, n int, rnd func() float32, img pigo.ImageParams) (r, c int) {
	// Lanes: the perturbations, padded to a multiple of puplocLanes with
	// copies of the first (walked, never read).
	m := (n + puplocLanes - 1) / puplocLanes * puplocLanes
	rs, cs, ss := make([]float32, m), make([]float32, m), make([]float32, m)
	for i := range m {
		if i >= n {
			rs[i], cs[i], ss[i] = rs[0], cs[0], ss[0]
			continue
		}
		// pigo's order of draws: row, column, scale.
		rs[i] = float32(row) + scale*0.15*(0.5-rnd())
		cs[i] = float32(col) + scale*0.15*(0.5-rnd())
		ss[i] = scale * (0.925 + 0.15*rnd())
	}
	p.classify(rs, cs, ss, img)
	rs, cs = rs[:n], cs[:n]
	slices.Sort(rs)
	slices.Sort(cs)
	mid := int(math.Round(float64(n) / 2))
	return int(rs[mid]), int(cs[mid])
}

// puplocLanes perturbations walk each tree side by side: one walk is a
// chain of dependent loads (node, pixels, next node), and independent
// chains let the processor overlap their cache misses.
const puplocLanes = 8

// classify is pigo's classifyRegion for every lane: each stage's trees
// vote a shift of the point, and the scale shrinks. A lane's arithmetic
// is pigo's, in its order; the lanes only share the walk through a tree.
func (p *puploc) classify(rs, cs, ss []float32, img pigo.ImageParams) {
	leaves := 1 << p.depth
	nodes := 4*leaves - 4
	maxR, maxC := img.Rows-1, img.Cols-1
	pix, dim := img.Pixels, img.Dim
	codes, preds := p.codes, p.preds
	var dr, dc [puplocLanes]float32
	var ri, ci, si, idx [puplocLanes]int
	for g := 0; g < len(rs); g += puplocLanes {
		for st := range p.stages {
			for l := range puplocLanes {
				dr[l], dc[l] = 0, 0
				si[l] = int(math.Round(float64(ss[g+l]))) // as pigo's, once per stage
				ri[l], ci[l] = 256*int(rs[g+l]), 256*int(cs[g+l])
			}
			for t := range p.trees {
				tree := codes[(st*p.trees+t)*nodes:][:nodes]
				idx = [puplocLanes]int{}
				for range p.depth {
					for l := range puplocLanes {
						k := idx[l]
						nd := tree[4*k : 4*k+4]
						r1 := min(maxR, max(0, (ri[l]+int(nd[0])*si[l])>>8))
						c1 := min(maxC, max(0, (ci[l]+int(nd[1])*si[l])>>8))
						r2 := min(maxR, max(0, (ri[l]+int(nd[2])*si[l])>>8))
						c2 := min(maxC, max(0, (ci[l]+int(nd[3])*si[l])>>8))
						k = 2*k + 1
						if pix[r1*dim+c1] > pix[r2*dim+c2] {
							k++
						}
						idx[l] = k
					}
				}
				base := (st*p.trees + t) * leaves
				for l := range puplocLanes {
					lut := 2 * (base + idx[l] - (leaves - 1))
					dr[l] += preds[lut]
					dc[l] += preds[lut+1]
				}
			}
			for l := range puplocLanes {
				s := ss[g+l]
				rs[g+l] += dr[l] * s
				cs[g+l] += dc[l] * s
				ss[g+l] = s * p.scale
			}
		}
	}
}
