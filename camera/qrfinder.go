package camera

import (
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// qrFindPatterns is gozxing's FinderPatternFinder.Find with TRY_HARDER,
// giving the same centres and the same three patterns (qrfinder_test.go
// compares them on every frame of both sets), with its row scan done on
// runs instead of pixels: gozxing calls BitMatrix.Get for each pixel of
// every third row, a third of a pass's time on a 720p frame; the runs come
// from the packed bits a word at a time. The cross checks around a
// candidate, the centre bookkeeping and the choice of the three stay
// gozxing's own, on f.
//
// With full set the scan does not stop at the first three confirmed
// centres of one module size, as gozxing's does: it goes on to the last
// row, and the choice of the three weighs every centre found. stopped
// reports that a scan without full stopped early, the case where that
// second look can find more.
func qrFindPatterns(f *detector.FinderPatternFinder, full bool) (info *detector.FinderPatternInfo, stopped bool, err error) {
	img := f.GetImage()
	maxI, maxJ := img.GetHeight(), img.GetWidth()
	iSkip := detector.FinderPatternFinder_MIN_SKIP // TRY_HARDER: not (3·maxI)/(4·97)
	hasSkipped := false                            // gozxing's private f.hasSkipped, kept alongside
	done := false
	var counts [5]int
	sc := counts[:]
	row := gozxing.NewBitArray(maxJ)
	for i := iSkip - 1; i < maxI && !done; i += iSkip {
		clear(sc)
		state := 0
		row = img.GetRow(i, row)
	scan:
		for j := 0; j < maxJ; {
			if row.Get(j) { // a black run [j, e)
				e := row.GetNextUnset(j)
				if state&1 == 1 {
					state++
				}
				sc[state] += e - j
				j = e
				continue
			}
			e := row.GetNextSet(j) // a white run [j, e); its first pixel decides
			if state&1 == 1 {
				sc[state] += e - j
				j = e
				continue
			}
			if state != 4 {
				state++
				sc[state] += e - j
				j = e
				continue
			}
			if detector.FinderPatternFinder_foundPatternCross(sc) && f.HandlePossibleCenter(sc, i, j) {
				iSkip = 2
				if hasSkipped {
					done = !full && f.HaveMultiplyConfirmedCenters()
				} else {
					hasSkipped = qrTwoConfirmed(f) // as FindRowSkip sets it
					if rowSkip := f.FindRowSkip(); rowSkip > sc[2] {
						i += rowSkip - sc[2] - iSkip
						clear(sc)
						break scan // the rest of the row is skipped
					}
				}
				// The counts start again after this pixel.
				clear(sc)
				state = 0
				if e-j > 1 {
					state = 1
					sc[1] = e - j - 1
				}
				j = e
				continue
			}
			detector.FinderPatternFinder_ShiftCounts2(sc) // counts pixel j as the new state 3
			state = 3
			sc[3] += e - j - 1
			j = e
		}
		if detector.FinderPatternFinder_foundPatternCross(sc) && f.HandlePossibleCenter(sc, i, maxJ) {
			iSkip = sc[0]
			if hasSkipped {
				done = !full && f.HaveMultiplyConfirmedCenters()
			}
		}
	}
	fps, err := f.SelectBestPatterns()
	if err != nil {
		return nil, done, err
	}
	bl, tl, tr := gozxing.ResultPoint_OrderBestPatterns(fps[0], fps[1], fps[2])
	return detector.NewFinderPatternInfo(bl.(*detector.FinderPattern), tl.(*detector.FinderPattern), tr.(*detector.FinderPattern)), done, nil
}

// qrTwoConfirmed: FindRowSkip marks the finder as having skipped once it
// sees two centres at quorum.
func qrTwoConfirmed(f *detector.FinderPatternFinder) bool {
	n := 0
	for _, c := range f.GetPossibleCenters() {
		if c.GetCount() >= detector.FinderPatternFinder_CENTER_QUORUM {
			n++
		}
	}
	return n >= 2
}
