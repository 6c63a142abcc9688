package headoffice

import (
	"archive/zip"
	"errors"
	"io"
	"math"
)

// What verifying a package costs in memory, as charged against MaxMemory:
// the body itself, plus unpackFactor times what pack.Verify may unpack from
// it (io.ReadAll holds its growing chunks and the final copy at once: up
// to 2.5× the largest entry, measured 2.2× for one 15 MiB entry),
// entryWeight per ZIP entry for its parsed header and any problem line, and
// at least minWeight for the certificates, CMS and JSON it parses.
const (
	unpackFactor = 3
	entryWeight  = 1 << 10
	minWeight    = 256 << 10
	// maxDirectoryRead bounds the reads of a ZIP's end record (archive/zip
	// searches the last 65 KiB for it) and central directory. A package's
	// directory is a few hundred bytes; one this large is not a package,
	// and parsing it would cost memory outside the budget.
	maxDirectoryRead = 128 << 10
	// maxEntries is the most entries such a directory can hold (46 bytes
	// each at least).
	maxEntries = maxDirectoryRead / 46
)

// maxWeight is the heaviest weight an upload can have: every MaxMemory must
// admit it.
func maxWeight(maxSize int64) int64 {
	return max(minWeight, maxSize+unpackFactor*maxSize+entryWeight*maxEntries)
}

var errDirectoryTooLarge = errors.New("ZIP central directory too large")

// unpackedSize reads the ZIP in r as pack.Verify's archive/zip will and sums
// its entries' declared sizes, which archive/zip enforces as it unpacks
// (reading past one is an error). u.ok is false when archive/zip cannot
// open it; err is errDirectoryTooLarge when the directory is past
// maxDirectoryRead.
func unpackedSize(r io.ReaderAt, size int64) (u unpacked, err error) {
	cr := &cappedReaderAt{r: r, left: maxDirectoryRead}
	zr, _ := zip.NewReader(cr, size) // ErrInsecurePath still returns a reader
	if cr.over {
		return unpacked{}, errDirectoryTooLarge
	}
	if zr == nil {
		return unpacked{}, nil
	}
	u = unpacked{ok: true, entries: len(zr.File)}
	for _, f := range zr.File {
		u.total += min(f.UncompressedSize64, math.MaxUint64-u.total) // saturating
	}
	return u, nil
}

// unpacked is what a ZIP declares; ok is false when it could not be read.
type unpacked struct {
	total   uint64
	entries int
	ok      bool
}

// weight is what an upload of size bytes is charged against MaxMemory.
// pack.Verify unpacks at most MaxSize (its MaxTotal), whatever the ZIP
// declares, so no weight exceeds maxWeight.
func (s *Server) weight(size int64, u unpacked) int64 {
	// Not a ZIP archive/zip opens: charged in full, in case Verify finds
	// more in it than archive/zip does here.
	d := s.cfg.MaxSize
	if u.ok && u.total < uint64(d) {
		d = int64(u.total)
	}
	return max(minWeight, size+unpackFactor*d+entryWeight*int64(u.entries))
}

// cappedReaderAt fails once more than left bytes are asked for in all.
type cappedReaderAt struct {
	r    io.ReaderAt
	left int64
	over bool
}

func (c *cappedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if int64(len(p)) > c.left {
		c.over = true
		return 0, errDirectoryTooLarge
	}
	c.left -= int64(len(p))
	return c.r.ReadAt(p, off)
}
