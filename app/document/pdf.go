package document

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"almatel.kz/signkiosk/assets"
)

// SignatureBlock is what the PDF states about the EDS signature. A nil block
// renders the unsigned form (the document is yet to be signed).
type SignatureBlock struct {
	CertSerial string
	Signer     string
	SignedAt   time.Time
}

// Page geometry in millimetres (A4 portrait).
const (
	pdfMargin  = 20.0
	pdfFooterY = -13.0 // footer baseline, inside the bottom margin
	pdfLabelW  = 62.0  // label column; the value column takes the rest
	pdfLineH   = 5.0   // body line height for 10 pt text
	pdfPadV    = 1.0   // vertical padding inside a table row
	pdfCellPad = 1.5   // horizontal padding inside cells
	pdfFont    = "NotoSans"
	pdfNbAlias = "{nb}" // replaced with the page count when the file is closed
)

// PDF renders the application as an A4 PDF in its language. The output is a
// pure function of a and sig: file dates come from the application date,
// resource catalogs are sorted and fpdf writes no /ID for unencrypted files,
// so the same inputs give byte-identical files that golden tests and the
// CMS signature can rely on.
func (a Application) PDF(sig *SignatureBlock) ([]byte, error) {
	stamp, err := time.ParseInLocation("02.01.2006", a.Date, Almaty)
	if err != nil {
		return nil, fmt.Errorf("document: pdf date %q: %w", a.Date, err)
	}

	f := fpdf.New("P", "mm", "A4", "")
	f.SetCompression(true)
	f.SetCatalogSort(true)
	// Without these fpdf stamps time.Now into /Info.
	f.SetCreationDate(stamp)
	f.SetModificationDate(stamp)
	f.SetTitle(a.Title, true)
	f.SetAuthor(a.Company, true)
	f.SetCreator("signkiosk", false)
	f.SetLang(a.Lang)
	// The alias must be set before fonts are added: fpdf sizes the font
	// subset for it.
	f.AliasNbPages(pdfNbAlias)
	if err := AddFonts(f); err != nil {
		return nil, err
	}
	f.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	f.SetAutoPageBreak(true, pdfMargin)
	f.SetCellMargin(pdfCellPad)
	f.SetLineWidth(0.2)
	f.SetDrawColor(150, 150, 150)
	f.SetFooterFunc(func() {
		f.SetY(pdfFooterY)
		f.SetFont(pdfFont, "", 8)
		f.SetTextColor(110, 110, 110)
		pageW, _ := f.GetPageSize()
		w := pageW - 2*pdfMargin
		f.CellFormat(w/2, 5, a.Number, "", 0, "L", false, 0, "")
		f.CellFormat(w/2, 5, fmt.Sprintf("%d / %s", f.PageNo(), pdfNbAlias), "", 0, "R", false, 0, "")
	})

	NewRenderer(f, Margins{Left: pdfMargin, Top: pdfMargin, Right: pdfMargin, Bottom: pdfMargin}).Draw(a, sig)

	var out bytes.Buffer
	if err := f.Output(&out); err != nil {
		return nil, fmt.Errorf("document: render pdf: %w", err)
	}
	return out.Bytes(), nil
}

// FontFamily is the family AddFonts registers: Noto Sans, regular ("")
// and bold ("B"), which draws every Kazakh letter.
const FontFamily = pdfFont

// AddFonts registers FontFamily on f. Call AliasNbPages first if the
// document uses it: fpdf sizes the font subset for the alias.
func AddFonts(f *fpdf.Fpdf) error {
	f.AddUTF8FontFromBytes(pdfFont, "", assets.FontRegular())
	f.AddUTF8FontFromBytes(pdfFont, "B", assets.FontBold())
	if err := f.Error(); err != nil {
		return fmt.Errorf("document: pdf fonts: %w", err)
	}
	return nil
}

// Margins are a page's margins in millimetres.
type Margins struct {
	Left, Top, Right, Bottom float64
}

// Renderer draws the application's parts onto a document its caller owns,
// so the electronic-document card can show the same pages under its own
// header and footer. The caller sets the fonts (AddFonts), the page
// margins and the automatic page break to match m.
type Renderer struct {
	f     *fpdf.Fpdf
	m     Margins
	width float64 // content width between the margins
}

// NewRenderer returns a renderer drawing onto f within margins m.
func NewRenderer(f *fpdf.Fpdf, m Margins) *Renderer {
	pageW, _ := f.GetPageSize()
	return &Renderer{f: f, m: m, width: pageW - m.Left - m.Right}
}

// Draw adds a page and draws the whole application on it and on as many
// pages after it as the content needs.
func (r *Renderer) Draw(a Application, sig *SignatureBlock) {
	r.f.AddPage()
	r.header(a)
	for _, s := range a.Sections {
		r.Section(s.Title, s.Rows)
	}
	r.clause(a.Lang, a.Clause)
	r.signature(a.Lang, sig)
}

// room reports whether h millimetres still fit above the bottom margin.
func (r *Renderer) room(h float64) bool {
	_, pageH := r.f.GetPageSize()
	return r.f.GetY()+h <= pageH-r.m.Bottom
}

// usable is the content height of a fresh page.
func (r *Renderer) usable() float64 {
	_, pageH := r.f.GetPageSize()
	return pageH - r.m.Top - r.m.Bottom
}

func (r *Renderer) font(style string, size float64) {
	r.f.SetFont(pdfFont, style, size)
	r.f.SetTextColor(0, 0, 0)
}

func (r *Renderer) header(a Application) {
	f := r.f
	r.font("", 9)
	f.SetTextColor(70, 70, 70)
	f.MultiCell(r.width, 4.5, a.Company, "", "L", false)
	y := f.GetY() + 1.5
	f.Line(r.m.Left, y, r.m.Left+r.width, y)
	f.SetY(y + 5)

	r.font("B", 14)
	f.MultiCell(r.width, 7, a.Title, "", "C", false)
	f.Ln(2)
	r.font("", 10)
	f.CellFormat(r.width/2, 6, Label(a.Lang, "number")+" "+a.Number, "", 0, "L", false, 0, "")
	f.CellFormat(r.width/2, 6, Label(a.Lang, "date")+": "+a.Date, "", 1, "R", false, 0, "")
	f.Ln(4)
}

// rowHeight is the height a label/value row takes with the body font.
func (r *Renderer) rowHeight(row Row) float64 {
	r.font("", 10)
	n := max(1, len(r.f.SplitText(row.Label, pdfLabelW)), len(r.f.SplitText(row.Value, r.width-pdfLabelW)))
	return float64(n)*pdfLineH + 2*pdfPadV
}

const pdfTitleH = 7.0

// sectionTitle draws a shaded title bar.
func (r *Renderer) sectionTitle(title string) {
	r.font("B", 11)
	r.f.SetFillColor(232, 236, 241)
	r.f.CellFormat(r.width, pdfTitleH, title, "1", 1, "L", true, 0, "")
}

// Section draws a titled two-column table, the application's look. A row
// never straddles a page: it moves whole to the next page, and the title
// stays with its first row.
func (r *Renderer) Section(title string, rows []Row) {
	first := 0.0
	if len(rows) > 0 {
		first = min(r.rowHeight(rows[0]), r.usable()-pdfTitleH)
	}
	if !r.room(pdfTitleH + first) {
		r.f.AddPage()
	}
	r.sectionTitle(title)
	for _, row := range rows {
		r.row(row)
	}
	r.f.Ln(5)
}

func (r *Renderer) row(row Row) {
	f := r.f
	h := r.rowHeight(row)
	if h > r.usable() {
		// Taller than a page: no layout keeps it whole, so let it flow
		// as a bold label over a wrapped value, without a frame.
		r.font("B", 10)
		f.MultiCell(r.width, pdfLineH, row.Label, "", "L", false)
		r.font("", 10)
		f.MultiCell(r.width, pdfLineH, row.Value, "", "L", false)
		return
	}
	if !r.room(h) {
		f.AddPage()
	}
	x, y := f.GetX(), f.GetY()
	f.SetXY(x, y+pdfPadV)
	r.font("", 10)
	f.SetTextColor(70, 70, 70)
	f.MultiCell(pdfLabelW, pdfLineH, row.Label, "", "L", false)
	bottom := f.GetY()
	f.SetXY(x+pdfLabelW, y+pdfPadV)
	r.font("", 10)
	f.MultiCell(r.width-pdfLabelW, pdfLineH, row.Value, "", "L", false)
	// Frame what was actually drawn, in case MultiCell wrapped differently
	// from SplitText.
	h = max(h, bottom-y+pdfPadV, f.GetY()-y+pdfPadV)
	f.Rect(x, y, pdfLabelW, h, "D")
	f.Rect(x+pdfLabelW, y, r.width-pdfLabelW, h, "D")
	f.SetXY(x, y+h)
}

// clauseBlock is one Markdown block of the accession clause.
type clauseBlock struct {
	kind string // "h1", "h2", "li" or "p"
	text string
}

// parseClause reads the Markdown subset of assets/texts: # and ## headings,
// "- " list items and paragraphs separated by blank lines. Lines are joined
// as Markdown does, so the text's own wrapping does not show.
func parseClause(text string) []clauseBlock {
	var blocks []clauseBlock
	open := false // the last block still takes continuation lines
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			open = false
		case strings.HasPrefix(line, "## ") || strings.HasPrefix(line, "### "):
			blocks = append(blocks, clauseBlock{"h2", strings.TrimSpace(strings.TrimLeft(line, "#"))})
			open = false
		case strings.HasPrefix(line, "# "):
			blocks = append(blocks, clauseBlock{"h1", strings.TrimSpace(line[2:])})
			open = false
		case strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* "):
			blocks = append(blocks, clauseBlock{"li", strings.TrimSpace(line[2:])})
			open = true
		case open:
			blocks[len(blocks)-1].text += " " + line
		default:
			blocks = append(blocks, clauseBlock{"p", line})
			open = true
		}
	}
	return blocks
}

// hasHeading reports whether blocks carry heading as a heading of their own.
func hasHeading(blocks []clauseBlock, heading string) bool {
	for _, b := range blocks {
		if (b.kind == "h1" || b.kind == "h2") && b.text == heading {
			return true
		}
	}
	return false
}

func (r *Renderer) clause(lang, text string) {
	f := r.f
	blocks := parseClause(text)
	// The clause normally carries its own heading; add the label only
	// when it does not, so the heading is never printed twice.
	if !hasHeading(blocks, Label(lang, "accession")) {
		blocks = append([]clauseBlock{{"h2", Label(lang, "accession")}}, blocks...)
	}
	const bullet = 5.0 // indent of list item text
	prev := ""
	for _, b := range blocks {
		switch b.kind {
		case "h1", "h2":
			size := 11.0
			if b.kind == "h1" {
				size = 12.5
			}
			f.Ln(2)
			// Keep a heading with at least two lines of what follows.
			if !r.room(7 + 2*pdfLineH) {
				f.AddPage()
			}
			r.font("B", size)
			f.MultiCell(r.width, 6, b.text, "", "L", false)
			f.Ln(1.5)
		case "li":
			r.font("", 10)
			if !r.room(pdfLineH) {
				f.AddPage()
			}
			y := f.GetY()
			f.CellFormat(bullet, pdfLineH, "•", "", 0, "R", false, 0, "")
			f.SetXY(r.m.Left+bullet, y)
			f.MultiCell(r.width-bullet, pdfLineH, b.text, "", "L", false)
			f.Ln(0.8)
		default:
			if prev == "li" {
				f.Ln(1.2)
			}
			r.font("", 10)
			f.MultiCell(r.width, pdfLineH, b.text, "", "L", false)
			f.Ln(2)
		}
		f.SetX(r.m.Left)
		prev = b.kind
	}
	f.Ln(4)
}

// signature draws the EDS block, kept whole on one page. Unsigned, it
// says the document is to be signed and leaves the values empty.
func (r *Renderer) signature(lang string, sig *SignatureBlock) {
	rows := []Row{
		{Label(lang, "cert"), ""},
		{Label(lang, "signer"), ""},
		{Label(lang, "signed_at"), ""},
	}
	title := Label(lang, "unsigned")
	if sig != nil {
		title = Label(lang, "signed")
		rows[0].Value = sig.CertSerial
		rows[1].Value = sig.Signer
		rows[2].Value = sig.SignedAt.In(Almaty).Format("02.01.2006 15:04:05") + " UTC+5"
	}
	h := pdfTitleH
	for _, row := range rows {
		h += r.rowHeight(row)
	}
	if !r.room(h) && h <= r.usable() {
		r.f.AddPage()
	}
	r.sectionTitle(title)
	for _, row := range rows {
		r.row(row)
	}
}
