package card

import (
	"fmt"

	"github.com/go-pdf/fpdf"

	"almatel.kz/signkiosk/app/document"
)

// info draws the information block: what the document and the card are,
// where each part is, the embedded files, how to check them, and that the
// visible part has no legal force.
func (c *layout) info(f *fpdf.Fpdf, r *document.Renderer, toc *pages) {
	a := c.in.Application
	l := func(k string) string { return label(c.lang, k) }
	w := contentWidth(f)

	f.SetFont(font, "B", 14)
	f.SetTextColor(0, 0, 0)
	f.MultiCell(w, 7, l("card_upper"), "", "C", false)
	if ru := l("card_ru"); ru != "" {
		f.SetFont(font, "", 10)
		f.SetTextColor(90, 90, 90)
		f.MultiCell(w, 5, ru, "", "C", false)
	}
	f.Ln(3)
	f.SetFont(font, "B", 12)
	f.SetTextColor(0, 0, 0)
	f.MultiCell(w, 6, a.Title, "", "C", false)
	f.Ln(4)

	about := []document.Row{
		{Label: l("doc_name"), Value: a.Title},
		{Label: l("description"), Value: fmt.Sprintf("%s %s, %s: %s", document.Label(a.Lang, "number"), a.Number,
			document.Label(a.Lang, "date"), a.Date)},
		{Label: l("created"), Value: c.clock.stamp(c.in.Created)},
		{Label: l("issued_by"), Value: c.in.IssuedBy},
	}
	if v := c.in.Verified; v != nil {
		about = append(about, document.Row{Label: l("verified"),
			Value: fmt.Sprintf(l("verified_value"), c.clock.stamp(v.At), v.Indication)})
	}
	r.Section(l("about"), about)
	r.Section(l("contents"), []document.Row{
		{Label: l("part_info"), Value: c.pageRef(toc.InfoFrom, toc.InfoTo)},
		{Label: l("part_doc"), Value: c.pageRef(toc.DocFrom, toc.DocTo)},
		{Label: l("part_sigs"), Value: c.pageRef(toc.SigFrom, toc.SigTo)},
	})
	files := []document.Row{{Label: "1. " + c.in.PDFName, Value: l("file_original") + "\n" + c.digest(c.in.PDF)}}
	for i, s := range c.in.Signatures {
		files = append(files, document.Row{
			Label: fmt.Sprintf("%d. %s", i+2, s.CMSName),
			// Its size and digest are on the signature's page.
			Value: fmt.Sprintf(l("file_sig"), signerName(s.Signer), c.clock.stamp(s.GenTime)),
		})
	}
	r.Section(l("files"), files)

	const size = 9.0
	paragraph(f, "", size, l("what"))
	paragraph(f, "", size, fmt.Sprintf(l("original"), c.in.PDFName))
	f.Ln(0.5)
	paragraph(f, "B", 10, l("how"))
	bullet(f, size, l("how_open"))
	bullet(f, size, fmt.Sprintf(l("how_cms"), c.in.Signatures[0].CMSName, c.in.PDFName))
	bullet(f, size, l("how_package"))
	f.Ln(1.5)
	paragraph(f, "B", size, l("warning"))
}

// pageRef writes a part's pages: "стр. 3" or "стр. 2–5".
func (c *layout) pageRef(from, to int) string {
	if from == to {
		return fmt.Sprintf(label(c.lang, "page_one"), from)
	}
	return fmt.Sprintf(label(c.lang, "page_range"), from, to)
}
