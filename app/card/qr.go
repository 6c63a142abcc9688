package card

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/go-pdf/fpdf"
	qrcode "github.com/skip2/go-qrcode"
)

// The specification's recommended QR symbol: version 25, level M, whose
// byte-mode capacity is 997 bytes (8000 data bits less a 20-bit header).
const (
	qrVersion  = 25
	qrCapacity = 997
	qrModules  = 17 + 4*qrVersion // 117
	qrPixels   = 4                // per module in the PNG (the specification asks for at least 2)
	qrQuiet    = 4                // modules of white border on each side
	qrSizeMM   = 75.0
	qrGapMM    = 10.0
	qrCaptionH = 5.0
)

// qrChunk is the JSON one QR code carries.
type qrChunk struct {
	SignID int    `json:"signId"`
	Total  int    `json:"total"`
	Index  int    `json:"index"`
	Data   string `json:"data"`
}

// qrTexts splits a signature into the specification's QR payloads: the CMS
// as <signId>.cms in a DEFLATE ZIP, in Base64, cut into parts that fit a
// version-25 M symbol with the JSON around them (10 characters kept for
// total and index). Indexes count from 1.
func qrTexts(signID int, cms []byte, modified time.Time) ([]string, error) {
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: strconv.Itoa(signID) + ".cms", Method: zip.Deflate, Modified: modified})
	if err != nil {
		return nil, fmt.Errorf("card: qr zip: %w", err)
	}
	if _, err := w.Write(cms); err != nil {
		return nil, fmt.Errorf("card: qr zip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("card: qr zip: %w", err)
	}
	data := base64.StdEncoding.EncodeToString(zb.Bytes())

	probe, err := json.Marshal(qrChunk{SignID: signID})
	if err != nil {
		return nil, fmt.Errorf("card: qr json: %w", err)
	}
	size := qrCapacity - len(probe) - 10
	total := (len(data) + size - 1) / size
	texts := make([]string, 0, total)
	for i := range total {
		part := data[i*size : min(len(data), (i+1)*size)]
		b, err := json.Marshal(qrChunk{SignID: signID, Total: total, Index: i + 1, Data: part})
		if err != nil {
			return nil, fmt.Errorf("card: qr json: %w", err)
		}
		texts = append(texts, string(b))
	}
	return texts, nil
}

// qr draws signature n's QR codes on pages of their own after its page.
func (c *layout) qr(f *fpdf.Fpdf, n int, s Signature) error {
	texts, err := qrTexts(n, s.CMS, s.GenTime.In(c.clock.loc))
	if err != nil {
		return err
	}
	f.AddPage()
	f.SetFont(font, "B", 13)
	f.SetTextColor(0, 0, 0)
	f.MultiCell(contentWidth(f), 7, fmt.Sprintf(label(c.lang, "qr"), n), "", "L", false)
	f.Ln(1)
	paragraph(f, "", 9.5, fmt.Sprintf(label(c.lang, "qr_note"), s.CMSName, n, len(texts)))
	f.Ln(2)

	_, pageH := f.GetPageSize()
	left := marginLeft + (contentWidth(f)-2*qrSizeMM-qrGapMM)/2
	for i, text := range texts {
		code, err := qrcode.NewWithForcedVersion(text, qrVersion, qrcode.Medium)
		if err != nil {
			return fmt.Errorf("card: qr %d/%d: %w", i+1, len(texts), err)
		}
		png, err := code.PNG((qrModules + 2*qrQuiet) * qrPixels)
		if err != nil {
			return fmt.Errorf("card: qr %d/%d png: %w", i+1, len(texts), err)
		}
		col := i % 2
		if col == 0 && f.GetY()+qrSizeMM+qrCaptionH > pageH-marginBottom {
			f.AddPage()
		}
		y := f.GetY()
		x := left + float64(col)*(qrSizeMM+qrGapMM)
		name := fmt.Sprintf("qr-%d-%d", n, i+1)
		opts := fpdf.ImageOptions{ImageType: "PNG"}
		f.RegisterImageOptionsReader(name, opts, bytes.NewReader(png))
		f.ImageOptions(name, x, y, qrSizeMM, qrSizeMM, false, opts, 0, "")
		f.SetFont(font, "", 9)
		f.SetTextColor(90, 90, 90)
		f.SetXY(x, y+qrSizeMM)
		f.CellFormat(qrSizeMM, qrCaptionH, fmt.Sprintf(label(c.lang, "qr_caption"), i+1, len(texts)), "", 0, "C", false, 0, "")
		f.SetXY(marginLeft, y)
		if col == 1 || i == len(texts)-1 {
			f.SetY(y + qrSizeMM + qrCaptionH + 3)
		}
	}
	if err := f.Error(); err != nil {
		return fmt.Errorf("card: qr images: %w", err)
	}
	return nil
}
