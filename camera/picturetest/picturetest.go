// Package picturetest makes hostile pictures for tests and fuzz seeds: PNG
// and JPEG files whose headers promise far more pixels, or far more work,
// than their size suggests. They are built byte by byte, cheaply, so a test
// can make them in a temp dir without doing the work they promise.
package picturetest

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
)

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// pngChunk appends one PNG chunk with its CRC.
func pngChunk(out []byte, typ string, data []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
	start := len(out)
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
}

// pngGray is a PNG of an 8-bit gray w×h picture with idat as its only
// (zlib) data chunk.
func pngGray(w, h uint32, idat []byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // depth 8, gray, deflate, no filter set, not interlaced
	out := pngChunk(append([]byte{}, pngMagic...), "IHDR", ihdr)
	out = pngChunk(out, "IDAT", idat)
	return pngChunk(out, "IEND", nil)
}

// PNGHeader is a small, valid-looking PNG whose header declares w×h 8-bit
// gray pixels and whose data is a few bytes of zeros: a decoder that
// allocates by the header alone asks for w×h bytes.
func PNGHeader(w, h uint32) []byte {
	return pngGray(w, h, zlibZeros(1024))
}

// ZeroPNG is a complete, valid w×h 8-bit gray PNG, all black. Its data is
// about a thousandth of w×h bytes (25000×25000 makes ~600 KB). Compressing
// w×h zeros would take seconds, so it compresses 1 MiB once and repeats
// that deflate block: after a flush, a block of zeros decodes the same
// whatever zeros came before it.
func ZeroPNG(w, h uint32) []byte {
	return pngGray(w, h, zlibZeros(int64(w+1)*int64(h))) // each row: filter byte 0, then w zeros
}

// zlibZeros is a zlib stream of n zero bytes.
func zlibZeros(n int64) []byte {
	const seg = 1 << 20
	var z bytes.Buffer
	z.Write([]byte{0x78, 0xda})                         // zlib header: deflate, 32 KiB window, best compression
	fw, _ := flate.NewWriter(&z, flate.BestCompression) // the level is valid: no error
	zeros := make([]byte, seg)
	if n < 3*seg {
		writeZeros(fw, zeros, n)
	} else {
		fw.Write(zeros) // the first block: no history
		fw.Flush()
		mark := z.Len()
		fw.Write(zeros) // a block that follows zeros
		fw.Flush()
		block := append([]byte{}, z.Bytes()[mark:]...)
		rest := n - 2*seg
		for ; rest >= 2*seg; rest -= seg {
			z.Write(block)
		}
		writeZeros(fw, zeros, rest)
	}
	fw.Close()
	// Adler-32 of n zeros: a stays 1, b adds a for every byte.
	return binary.BigEndian.AppendUint32(z.Bytes(), uint32(n%65521)<<16|1)
}

func writeZeros(fw *flate.Writer, zeros []byte, n int64) {
	for n > 0 {
		k := min(n, int64(len(zeros)))
		fw.Write(zeros[:k]) // into a bytes.Buffer: never fails
		n -= k
	}
}

// JPEG markers used below.
const (
	soi  = 0xd8
	eoi  = 0xd9
	sof0 = 0xc0
	sof2 = 0xc2
	dht  = 0xc4
	dqt  = 0xdb
	sos  = 0xda
)

func jpegSegment(out []byte, marker byte, data []byte) []byte {
	out = append(out, 0xff, marker)
	out = binary.BigEndian.AppendUint16(out, uint16(len(data)+2))
	return append(out, data...)
}

// jpegSOF is a start-of-frame for one 8-bit gray w×h component.
func jpegSOF(out []byte, marker byte, w, h uint16) []byte {
	d := []byte{8}
	d = binary.BigEndian.AppendUint16(d, h)
	d = binary.BigEndian.AppendUint16(d, w)
	d = append(d, 1, 1, 0x11, 0) // one component: id 1, 1×1 sampling, quant table 0
	return jpegSegment(out, marker, d)
}

// JPEGHeader is a small baseline gray JPEG whose frame header declares w×h
// pixels (at most 65535×65535) and whose scan is cut short: a decoder
// allocates the whole picture at the scan, then fails.
func JPEGHeader(w, h uint16) []byte {
	out := []byte{0xff, soi}
	out = jpegSegment(out, dqt, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...))
	out = jpegSOF(out, sof0, w, h)
	out = jpegSegment(out, dht, jpegDCTable())
	out = jpegSegment(out, dht, jpegACTable())
	out = jpegSegment(out, sos, []byte{1, 1, 0x00, 0, 63, 0})
	out = append(out, 0x00, 0x00, 0x00, 0x00)
	return append(out, 0xff, eoi)
}

// jpegDCTable is DC table 0 with one 1-bit code for "difference 0".
func jpegDCTable() []byte {
	counts := make([]byte, 16)
	counts[0] = 1
	return append(append([]byte{0x00}, counts...), 0)
}

// jpegACTable is AC table 0 with the 15 end-of-band-run symbols (run
// class r: 2^r blocks plus r extra bits), each a 4-bit code r.
func jpegACTable() []byte {
	counts := make([]byte, 16)
	counts[3] = 15
	d := append([]byte{0x10}, counts...)
	for r := byte(0); r < 15; r++ {
		d = append(d, r<<4)
	}
	return d
}

// JPEGScans is a small, valid progressive gray JPEG of w×h pixels made of
// scans AC scans that each say "nothing here" for every block, in a few
// bytes per 32767 blocks. The standard allows it, and every scan makes a
// decoder visit every block: the work grows with w×h×scans while the file
// stays small (libjpeg-turbo's LJT-01-003).
func JPEGScans(w, h uint16, scans int) []byte {
	out := []byte{0xff, soi}
	out = jpegSegment(out, dqt, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...))
	out = jpegSOF(out, sof2, w, h)
	out = jpegSegment(out, dht, jpegACTable())
	blocks := ((int(w) + 7) / 8) * ((int(h) + 7) / 8)
	var data bitWriter
	for left := blocks; left > 0; {
		run := min(left, 32767)
		r := 0
		for 2<<r <= run {
			r++
		}
		data.write(uint32(r), 4)
		data.write(uint32(run-1<<r), r)
		left -= run
	}
	entropy := data.bytes()
	for range scans {
		out = jpegSegment(out, sos, []byte{1, 1, 0x00, 1, 63, 0}) // AC 1–63 of the one component, no refinement
		out = append(out, entropy...)
	}
	return append(out, 0xff, eoi)
}

// bitWriter packs JPEG entropy-coded bits, most significant first, with
// the 0x00 stuffed after each 0xff byte.
type bitWriter struct {
	out  []byte
	acc  uint32
	nacc int
}

func (b *bitWriter) write(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		b.acc = b.acc<<1 | (v>>i)&1
		b.nacc++
		if b.nacc == 8 {
			b.emit()
		}
	}
}

func (b *bitWriter) emit() {
	c := byte(b.acc)
	b.out = append(b.out, c)
	if c == 0xff {
		b.out = append(b.out, 0)
	}
	b.acc, b.nacc = 0, 0
}

// bytes pads the last byte with ones, as the standard asks.
func (b *bitWriter) bytes() []byte {
	for b.nacc != 0 {
		b.write(1, 1)
	}
	return b.out
}
