package camera

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
)

// maxMJPEGSide bounds a frame's declared size before image/jpeg allocates
// for it: no webcam sends more than 8K, and a corrupt header must not cost
// gigabytes.
const maxMJPEGSide = 8192

// DecodeMJPEG decodes one MJPEG frame. UVC cameras commonly leave out the
// Huffman tables (no DHT segment) and rely on the standard ones of JPEG
// Annex K.3, which image/jpeg does not assume; they are inserted when the
// frame defines none before its first scan. A truncated or garbled frame
// gives an error.
func DecodeMJPEG(b []byte) (image.Image, error) { return decodeGo(b) }

// decodeGo is image/jpeg on a frame scanMJPEG accepts, with the Annex K
// tables put in when it has none.
func decodeGo(b []byte) (image.Image, error) {
	at, hasDHT, err := scanMJPEG(b)
	if err != nil {
		return nil, err
	}
	if !hasDHT {
		fixed := make([]byte, 0, len(b)+len(annexKDHT))
		fixed = append(fixed, b[:at]...)
		fixed = append(fixed, annexKDHT...)
		b = append(fixed, b[at:]...)
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("mjpeg: %w", err)
	}
	return img, nil
}

// scanMJPEG walks the marker segments up to the first scan. It returns where
// tables would go (the first SOF, else the SOS) and whether a DHT came first.
func scanMJPEG(b []byte) (at int, hasDHT bool, err error) {
	if len(b) < 4 || b[0] != 0xff || b[1] != 0xd8 {
		return 0, false, errors.New("mjpeg: not a JPEG frame (no SOI)")
	}
	at = -1
	i := 2
	for {
		// Markers may be preceded by any number of 0xff fill bytes.
		for i < len(b) && b[i] == 0xff && i+1 < len(b) && b[i+1] == 0xff {
			i++
		}
		if i+4 > len(b) {
			return 0, false, errors.New("mjpeg: truncated before the scan")
		}
		if b[i] != 0xff {
			return 0, false, fmt.Errorf("mjpeg: bad marker at byte %d", i)
		}
		m := b[i+1]
		if m == 0x01 || (m >= 0xd0 && m <= 0xd7) { // TEM, RSTn: no length
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 0, false, fmt.Errorf("mjpeg: bad segment length at byte %d", i)
		}
		switch {
		case m == 0xc4:
			hasDHT = true
		case m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc: // SOFn
			if n < 7 {
				return 0, false, errors.New("mjpeg: short SOF")
			}
			h := int(binary.BigEndian.Uint16(b[i+5:]))
			w := int(binary.BigEndian.Uint16(b[i+7:]))
			if w > maxMJPEGSide || h > maxMJPEGSide {
				return 0, false, fmt.Errorf("mjpeg: frame %dx%d too large", w, h)
			}
			if at < 0 {
				at = i
			}
		case m == 0xda: // SOS
			if at < 0 {
				at = i
			}
			return at, hasDHT, nil
		case m == 0xd9:
			return 0, false, errors.New("mjpeg: EOI before the scan")
		}
		i += 2 + n
	}
}

// annexKDHT is one DHT segment with the four standard tables of JPEG Annex
// K.3 (luminance DC, luminance AC, chrominance DC, chrominance AC): the
// tables ffmpeg and libv4l insert into MJPEG frames. A constant, so it
// cannot be changed at run time.
const annexKDHT = "" +
	"\xff\xc4\x01\xa2\x00\x00\x01\x05\x01\x01\x01\x01\x01\x01\x00\x00" +
	"\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a" +
	"\x0b\x10\x00\x02\x01\x03\x03\x02\x04\x03\x05\x05\x04\x04\x00\x00" +
	"\x01\x7d\x01\x02\x03\x00\x04\x11\x05\x12\x21\x31\x41\x06\x13\x51" +
	"\x61\x07\x22\x71\x14\x32\x81\x91\xa1\x08\x23\x42\xb1\xc1\x15\x52" +
	"\xd1\xf0\x24\x33\x62\x72\x82\x09\x0a\x16\x17\x18\x19\x1a\x25\x26" +
	"\x27\x28\x29\x2a\x34\x35\x36\x37\x38\x39\x3a\x43\x44\x45\x46\x47" +
	"\x48\x49\x4a\x53\x54\x55\x56\x57\x58\x59\x5a\x63\x64\x65\x66\x67" +
	"\x68\x69\x6a\x73\x74\x75\x76\x77\x78\x79\x7a\x83\x84\x85\x86\x87" +
	"\x88\x89\x8a\x92\x93\x94\x95\x96\x97\x98\x99\x9a\xa2\xa3\xa4\xa5" +
	"\xa6\xa7\xa8\xa9\xaa\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xc2\xc3" +
	"\xc4\xc5\xc6\xc7\xc8\xc9\xca\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda" +
	"\xe1\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xf1\xf2\xf3\xf4\xf5\xf6" +
	"\xf7\xf8\xf9\xfa\x01\x00\x03\x01\x01\x01\x01\x01\x01\x01\x01\x01" +
	"\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a" +
	"\x0b\x11\x00\x02\x01\x02\x04\x04\x03\x04\x07\x05\x04\x04\x00\x01" +
	"\x02\x77\x00\x01\x02\x03\x11\x04\x05\x21\x31\x06\x12\x41\x51\x07" +
	"\x61\x71\x13\x22\x32\x81\x08\x14\x42\x91\xa1\xb1\xc1\x09\x23\x33" +
	"\x52\xf0\x15\x62\x72\xd1\x0a\x16\x24\x34\xe1\x25\xf1\x17\x18\x19" +
	"\x1a\x26\x27\x28\x29\x2a\x35\x36\x37\x38\x39\x3a\x43\x44\x45\x46" +
	"\x47\x48\x49\x4a\x53\x54\x55\x56\x57\x58\x59\x5a\x63\x64\x65\x66" +
	"\x67\x68\x69\x6a\x73\x74\x75\x76\x77\x78\x79\x7a\x82\x83\x84\x85" +
	"\x86\x87\x88\x89\x8a\x92\x93\x94\x95\x96\x97\x98\x99\x9a\xa2\xa3" +
	"\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba" +
	"\xc2\xc3\xc4\xc5\xc6\xc7\xc8\xc9\xca\xd2\xd3\xd4\xd5\xd6\xd7\xd8" +
	"\xd9\xda\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xf2\xf3\xf4\xf5\xf6" +
	"\xf7\xf8\xf9\xfa"
