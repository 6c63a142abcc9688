package pack

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
)

// Bounds on a package's ZIP structure, checked before archive/zip parses
// the central directory (which it would otherwise read whole, however many
// entries it holds). A package has 8 files in under 1 KiB of directory.
const (
	maxEntries  = 64
	maxDirBytes = 64 << 10
)

// Record layouts of the ZIP format (APPNOTE 4.3).
const (
	endLen        = 22 // end of central directory record, without its comment
	localLen      = 30 // local file header, without name and extra field
	maxCommentLen = 0xffff
	flagDataDesc  = 0x8
)

var (
	sigEnd      = []byte("PK\x05\x06")
	sigLocal    = []byte("PK\x03\x04")
	sigDataDesc = []byte("PK\x07\x08")
)

// endRecord is what layout needs of the end of central directory record.
type endRecord struct {
	entries   int
	dirOffset uint64
	dirSize   uint64
}

// layoutErr is a problem with the archive's structure, as opposed to its
// contents: Verify reports the first and stops.
func layoutErr(format string, a ...any) error {
	return fmt.Errorf(format, a...)
}

func corrupt(why string) error {
	return layoutErr("package is not a readable ZIP (truncated or corrupt): %s", why)
}

// readEnd checks that the archive ends exactly with its end record, without
// a comment (Build writes none; a comment, like anything appended, is data
// some tools show and others ignore), and that the record describes a small,
// single-disk, non-ZIP64 archive whose directory ends where the record
// starts, so nothing can precede the archive either. archive/zip accepts all
// of these: it finds the record by searching the last 64 KiB and shifts
// every offset by whatever precedes the archive.
func readEnd(b []byte) (endRecord, error) {
	if len(b) < endLen {
		return endRecord{}, corrupt("no end of central directory record")
	}
	at := len(b) - endLen
	if !bytes.Equal(b[at:at+4], sigEnd) || le16(b, at+20) != 0 {
		return endRecord{}, afterEnd(b)
	}
	e := b[at:]
	var (
		disk, dirDisk  = le16(e, 4), le16(e, 6)
		onDisk, total  = le16(e, 8), le16(e, 10)
		size, offset   = uint64(le32(e, 12)), uint64(le32(e, 16))
		zip64          = total == 0xffff || size == 0xffffffff || offset == 0xffffffff
		dirEnd, endPos = offset + size, uint64(at)
	)
	switch {
	case zip64:
		return endRecord{}, layoutErr("package is a ZIP64 archive: far more entries or bytes than a package holds")
	case disk != 0 || dirDisk != 0 || onDisk != total:
		return endRecord{}, corrupt("the archive spans several disks")
	case total > maxEntries:
		return endRecord{}, layoutErr("package has %d entries; a package holds at most %d", total, maxEntries)
	case size > maxDirBytes:
		return endRecord{}, layoutErr("package's central directory is %d bytes; at most %d", size, maxDirBytes)
	case dirEnd < endPos:
		return endRecord{}, layoutErr("%d bytes of data before the archive", endPos-dirEnd)
	case dirEnd > endPos:
		return endRecord{}, corrupt("the central directory overlaps its end record")
	}
	return endRecord{entries: total, dirOffset: offset, dirSize: size}, nil
}

// afterEnd explains why the last bytes are not a bare end record: data or a
// comment after a record found further back, or no record at all.
func afterEnd(b []byte) error {
	for i := len(b) - endLen; i >= 0 && i >= len(b)-endLen-maxCommentLen; i-- {
		if !bytes.Equal(b[i:i+4], sigEnd) {
			continue
		}
		n := le16(b, i+20)
		if i+endLen+n > len(b) {
			continue // a signature inside data, not a record
		}
		if extra := len(b) - (i + endLen + n); extra > 0 {
			return layoutErr("%d bytes of data after the archive", extra)
		}
		return layoutErr("package has a %d-byte ZIP comment; packages have none", n)
	}
	return corrupt("no end of central directory record")
}

// checkEntries walks the local headers from byte 0: each entry must start
// where the previous one ended, carry the name the directory gives it, and
// the last must end where the directory starts. So no bytes hide between
// entries, and no tool can see a different name than this one.
func checkEntries(b []byte, files []*zip.File, end endRecord) error {
	if len(files) != end.entries {
		return corrupt(fmt.Sprintf("the directory holds %d entries, its end record says %d", len(files), end.entries))
	}
	dir := end.dirOffset
	var off uint64
	for _, f := range files {
		if off+localLen > dir || !bytes.Equal(b[off:off+4], sigLocal) {
			if off == 0 {
				return layoutErr("data before the archive's first entry")
			}
			return layoutErr("data hidden before entry %q", f.Name)
		}
		nameLen, extraLen := uint64(le16(b, int(off)+26)), uint64(le16(b, int(off)+28))
		start := off + localLen + nameLen + extraLen
		if start > dir {
			return corrupt(fmt.Sprintf("entry %q overruns the directory", f.Name))
		}
		if string(b[off+localLen:off+localLen+nameLen]) != f.Name {
			return layoutErr("entry %q: its local header names it differently", f.Name)
		}
		if got, err := f.DataOffset(); err != nil || got < 0 || uint64(got) != start {
			return layoutErr("entry %q is not stored where the directory says", f.Name)
		}
		if f.CompressedSize64 > dir-start {
			return corrupt(fmt.Sprintf("entry %q overruns the directory", f.Name))
		}
		off = start + f.CompressedSize64
		if f.Flags&flagDataDesc != 0 {
			// crc32 and two sizes, after an optional signature
			if off+4 <= dir && bytes.Equal(b[off:off+4], sigDataDesc) {
				off += 4
			}
			off += 12
			if off > dir {
				return corrupt(fmt.Sprintf("entry %q overruns the directory", f.Name))
			}
		}
	}
	if off != dir {
		return layoutErr("%d bytes of data hidden before the central directory", dir-off)
	}
	return nil
}

func le16(b []byte, at int) int    { return int(binary.LittleEndian.Uint16(b[at:])) }
func le32(b []byte, at int) uint32 { return binary.LittleEndian.Uint32(b[at:]) }
