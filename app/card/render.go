package card

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/go-pdf/fpdf"

	"almatel.kz/signkiosk/app/document"
)

// Page geometry in millimetres, as the specification sets it (A4).
const (
	marginLeft   = 30.0
	marginTop    = 20.0
	marginRight  = 10.0
	marginBottom = 20.0
	headerY      = 10.0  // the running header, inside the top margin
	footerY      = -13.0 // the footer's top, inside the bottom margin
	cellPad      = 1.5
	lineH        = 5.0
	nbAlias      = "{nb}" // replaced with the page count when the file is closed
	font         = document.FontFamily
)

// watermark is the specification's exact wording, in every language.
const watermark = "Визуализация электронного документа"

var margins = document.Margins{Left: marginLeft, Top: marginTop, Right: marginRight, Bottom: marginBottom}

// part is what a page belongs to; it picks the page's header and watermark.
type part int

const (
	partInfo part = iota
	partDoc
	partSig
)

// pages are the first and last page of each part.
type pages struct {
	InfoFrom, InfoTo, DocFrom, DocTo, SigFrom, SigTo int
}

// layout draws one card.
type layout struct {
	in    Input
	lang  string
	clock clock
}

// render draws the card; toc gives the page numbers the contents show
// (nil on the first pass). It returns the file and where each part fell.
func (c *layout) render(toc *pages) ([]byte, *pages, error) {
	a := c.in.Application
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCompression(true)
	f.SetCatalogSort(true)
	// Without these fpdf stamps time.Now into /Info. fpdf writes no zone,
	// and readers take a date without one as UTC: give it in UTC.
	created := c.in.Created.UTC()
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	f.SetTitle(label(c.lang, "card")+": "+a.Title, true)
	f.SetAuthor(a.Company, true)
	f.SetCreator(c.in.IssuedBy, true)
	f.SetLang(c.lang)
	// The alias must be set before fonts are added: fpdf sizes the font
	// subset for it.
	f.AliasNbPages(nbAlias)
	if err := document.AddFonts(f); err != nil {
		return nil, nil, fmt.Errorf("card: %w", err)
	}
	f.SetMargins(marginLeft, marginTop, marginRight)
	f.SetAutoPageBreak(true, marginBottom)
	f.SetCellMargin(cellPad)
	f.SetLineWidth(0.2)
	f.SetDrawColor(150, 150, 150)
	f.SetAttachments(c.attachments())

	// fpdf calls the footer of a page when the next one starts, after the
	// caller has moved on to the next part: remember each page's part.
	current := partInfo
	partOf := map[int]part{}
	f.SetHeaderFuncMode(func() {
		partOf[f.PageNo()] = current
		c.header(f, current)
	}, true)
	f.SetFooterFunc(func() { c.footer(f, partOf[f.PageNo()]) })

	if toc == nil {
		toc = &pages{}
	}
	var p pages
	r := document.NewRenderer(f, margins)
	f.AddPage()
	// fpdf writes %PDF-1.3 unless a 1.4 feature is used; the specification
	// wants 1.4, and an ExtGState (transparency) is one.
	f.SetAlpha(1, "Normal")
	p.InfoFrom = 1
	c.info(f, r, toc)
	p.InfoTo = f.PageNo()

	current = partDoc
	p.DocFrom = f.PageNo() + 1
	r.Draw(a, c.in.Block)
	p.DocTo = f.PageNo()

	current = partSig
	p.SigFrom = f.PageNo() + 1
	for i, s := range c.in.Signatures {
		f.AddPage()
		c.signature(f, r, i+1, s)
		if c.in.QR {
			if err := c.qr(f, i+1, s); err != nil {
				return nil, nil, err
			}
		}
	}
	p.SigTo = f.PageNo()

	var out bytes.Buffer
	if err := f.Output(&out); err != nil {
		return nil, nil, fmt.Errorf("card: render pdf: %w", err)
	}
	return out.Bytes(), &p, nil
}

// attachments are the embedded files: the original first, then the
// signatures in order of genTime, each described for the reader's list.
func (c *layout) attachments() []fpdf.Attachment {
	files := []fpdf.Attachment{{Content: c.in.PDF, Filename: c.in.PDFName, Description: label(c.lang, "file_original")}}
	for _, s := range c.in.Signatures {
		files = append(files, fpdf.Attachment{Content: s.CMS, Filename: s.CMSName,
			Description: fmt.Sprintf(label(c.lang, "file_sig"), signerName(s.Signer), c.clock.stamp(s.GenTime))})
	}
	return files
}

func contentWidth(f *fpdf.Fpdf) float64 {
	pageW, _ := f.GetPageSize()
	return pageW - marginLeft - marginRight
}

// header draws the running header of visualization pages in the top margin.
func (c *layout) header(f *fpdf.Fpdf, p part) {
	var text string
	switch p {
	case partDoc:
		text = label(c.lang, "doc_header")
	case partSig:
		text = label(c.lang, "sig_header")
	default:
		return
	}
	w := contentWidth(f)
	f.SetFont(font, "", 9)
	f.SetTextColor(90, 90, 90)
	f.SetXY(marginLeft, headerY)
	f.MultiCell(w, 4.5, text, "", "C", false)
	y := f.GetY() + 0.8
	f.Line(marginLeft, y, marginLeft+w, y)
}

// footer draws, from page 2, the card's name and the page number, and the
// watermark over a visualization page: the footer runs after the page's
// content, so the watermark lands on top. It comes last, after the footer
// text too, or pdftotext -nodiag drops the first word that follows it.
func (c *layout) footer(f *fpdf.Fpdf, p part) {
	if f.PageNo() >= 2 {
		w := contentWidth(f)
		f.SetY(footerY)
		f.SetX(marginLeft)
		f.SetFont(font, "", 8)
		f.SetTextColor(90, 90, 90)
		num := fmt.Sprintf(label(c.lang, "page"), f.PageNo(), nbAlias)
		numW := f.GetStringWidth(num) + 2*cellPad + 1
		f.CellFormat(w-numW, 5, label(c.lang, "footer"), "", 0, "L", false, 0, "")
		f.CellFormat(numW, 5, num, "", 0, "R", false, 0, "")
	}
	if p == partDoc {
		c.watermark(f)
	}
}

// watermark writes the wording once along the content area's diagonal,
// large, grey and half transparent, so the page stays readable under it.
func (c *layout) watermark(f *fpdf.Fpdf) {
	pageW, pageH := f.GetPageSize()
	w, h := pageW-marginLeft-marginRight, pageH-marginTop-marginBottom
	cx, cy := marginLeft+w/2, marginTop+h/2
	diag := math.Hypot(w, h)
	f.SetFont(font, "B", 10)
	size := math.Min(44, 10*0.85*diag/f.GetStringWidth(watermark))
	f.SetFont(font, "B", size)
	textW := f.GetStringWidth(watermark)
	capMM := size * 25.4 / 72 * 0.35 // lifts the baseline so the text centres
	f.TransformBegin()
	f.TransformRotate(math.Atan2(h, w)*180/math.Pi, cx, cy)
	f.SetAlpha(0.3, "Normal")
	f.SetTextColor(120, 120, 120)
	f.Text(cx-textW/2, cy+capMM, watermark)
	f.SetAlpha(1, "Normal")
	f.TransformEnd()
}

// paragraph draws wrapped body text across the content width.
func paragraph(f *fpdf.Fpdf, style string, size float64, text string) {
	f.SetFont(font, style, size)
	f.SetTextColor(0, 0, 0)
	f.SetX(marginLeft)
	f.MultiCell(contentWidth(f), size*0.47, text, "", "L", false)
	f.Ln(1.2)
}

// bullet draws one list item.
func bullet(f *fpdf.Fpdf, size float64, text string) {
	const indent = 5.0
	f.SetFont(font, "", size)
	f.SetTextColor(0, 0, 0)
	if _, pageH := f.GetPageSize(); f.GetY()+size*0.47 > pageH-marginBottom {
		f.AddPage()
	}
	y := f.GetY()
	f.SetX(marginLeft)
	f.CellFormat(indent, size*0.47, "•", "", 0, "R", false, 0, "")
	f.SetXY(marginLeft+indent, y)
	f.MultiCell(contentWidth(f)-indent, size*0.47, text, "", "L", false)
	f.Ln(0.8)
}

// digest is a file's size and SHA-256, for the reader to compare with
// what they extract.
func (c *layout) digest(b []byte) string {
	sum := sha256.Sum256(b)
	h := hex.EncodeToString(sum[:])
	return fmt.Sprintf(label(c.lang, "file_size"), len(b), h[:32]+" "+h[32:])
}
