package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"time"

	"almatel.kz/signkiosk/app/provider"
)

// parseIIN reads the birth date and sex a Kazakh IIN encodes: YYMMDD, then a
// digit giving century and sex (1/2 → 1800s, 3/4 → 1900s, 5/6 → 2000s; odd
// male). The check digit is not verified: orders in demos use made-up IINs.
func parseIIN(iin string) (birth time.Time, male bool, err error) {
	if len(iin) != 12 {
		return time.Time{}, false, errors.New("IIN must have 12 digits")
	}
	for i := 0; i < len(iin); i++ {
		if iin[i] < '0' || iin[i] > '9' {
			return time.Time{}, false, errors.New("IIN must have 12 digits")
		}
	}
	d := func(i int) int { return int(iin[i] - '0') }
	c := d(6)
	if c < 1 || c > 6 {
		return time.Time{}, false, errors.New("IIN century digit out of range")
	}
	year := 1800 + 100*((c-1)/2) + 10*d(0) + d(1)
	month, day := 10*d(2)+d(3), 10*d(4)+d(5)
	birth = time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if birth.Year() != year || int(birth.Month()) != month || birth.Day() != day {
		return time.Time{}, false, errors.New("IIN birth date invalid")
	}
	return birth, c%2 == 1, nil
}

// Made-up names, picked by the IIN so one subscriber always gets the same.
var (
	maleSurnames   = []string{"Сәрсенбаев", "Жұмабаев", "Ахметов", "Омаров"}
	femaleSurnames = []string{"Сәрсенбаева", "Жұмабаева", "Ахметова", "Омарова"}
	maleGiven      = []string{"Нұрлан", "Ерлан", "Айдос", "Дәурен"}
	femaleGiven    = []string{"Айгүл", "Дана", "Әсел", "Гүлнар"}
	fathers        = []string{"Қайрат", "Марат", "Серік", "Болат"}
)

// makeDocument makes up the ID document eGov would return for the session.
// The session's IIN was validated at create.
func (s *Simulator) makeDocument(ss *session) (*provider.IDDocument, error) {
	birth, male, err := parseIIN(ss.iin)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256([]byte("signkiosk-sim-doc:" + ss.iin))
	n := binary.BigEndian.Uint32(h[:4])
	doc := &provider.IDDocument{
		IIN:        ss.iin,
		Surname:    ss.surname,
		Given:      ss.given,
		Patronymic: ss.patronymic,
		BirthDate:  birth.Format(time.DateOnly),
		DocNumber:  fmt.Sprintf("N%08d", n%100_000_000),
		PhotoJPEG:  s.photo,
	}
	if doc.Surname == "" && doc.Given == "" {
		pick := func(list []string, b byte) string { return list[int(b)%len(list)] }
		if male {
			doc.Surname, doc.Given = pick(maleSurnames, h[4]), pick(maleGiven, h[5])
			doc.Patronymic = pick(fathers, h[6]) + "ұлы"
		} else {
			doc.Surname, doc.Given = pick(femaleSurnames, h[4]), pick(femaleGiven, h[5])
			doc.Patronymic = pick(fathers, h[6]) + "қызы"
		}
	}
	return doc, nil
}

// documentPhoto draws a plain face-like portrait (3:4, like an ID photo) so
// the document has a real JPEG for the kiosk to show.
func documentPhoto() ([]byte, error) {
	const w, h = 96, 128
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	bg := color.RGBA{0xdd, 0xe6, 0xf0, 0xff}
	skin := color.RGBA{0xe0, 0xb8, 0x94, 0xff}
	hair := color.RGBA{0x2a, 0x22, 0x1c, 0xff}
	dark := color.RGBA{0x20, 0x20, 0x28, 0xff}
	lips := color.RGBA{0xa0, 0x50, 0x50, 0xff}
	coat := color.RGBA{0x30, 0x3a, 0x50, 0xff}
	in := func(x, y, cx, cy, rx, ry float64) bool {
		dx, dy := (x-cx)/rx, (y-cy)/ry
		return dx*dx+dy*dy <= 1
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			c := bg
			switch {
			case in(fx, fy, 48, 138, 44, 30):
				c = coat
			case in(fx, fy, 34, 50, 4, 2.5), in(fx, fy, 62, 50, 4, 2.5):
				c = dark // eyes
			case in(fx, fy, 48, 78, 9, 2.5):
				c = lips
			case in(fx, fy, 48, 56, 24, 32):
				c = skin
				if fy < 38 {
					c = hair
				}
			case in(fx, fy, 48, 44, 27, 30) && fy < 56:
				c = hair
			case fx > 40 && fx < 56 && fy > 80 && fy < 108:
				c = skin // neck
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		return nil, fmt.Errorf("encode document photo: %w", err)
	}
	return buf.Bytes(), nil
}
