package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/document"
	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/session"
)

// newReviewScreen shows the application exactly as it will be signed: the
// same document model (kiosk.Application) that the signed file renders.
func newReviewScreen(u *UI, s session.State, l loc) screen {
	app, err := kiosk.Application(s)
	if err != nil {
		// Only a missing embedded text can cause this; nothing to show.
		u.log.Error().Err(err).Msg("application model")
		return static{container.NewVBox(title(l.T("review.title")), para(l.T("review.error")))}
	}
	doc := container.NewVBox(
		subtitle(app.Title),
		para(app.Company),
		para(document.Label(app.Lang, "number")+" "+app.Number+"    "+document.Label(app.Lang, "date")+": "+app.Date),
	)
	for _, sec := range app.Sections {
		doc.Add(widget.NewSeparator())
		doc.Add(subtitle(sec.Title))
		rows := container.New(layout.NewFormLayout())
		for _, r := range sec.Rows {
			rows.Add(widget.NewLabelWithStyle(r.Label, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
			rows.Add(para(r.Value))
		}
		doc.Add(rows)
	}
	doc.Add(widget.NewSeparator())
	if !app.ClauseHasHeading() {
		doc.Add(subtitle(document.Label(app.Lang, "accession")))
	}
	clause := widget.NewRichTextFromMarkdown(app.Clause)
	clause.Wrapping = fyne.TextWrapWord
	doc.Add(clause)

	scroll := container.NewVScroll(doc)
	scroll.OnScrolled = func(fyne.Position) { u.touch() } // reading is activity
	next := button(l.T("review.continue"), true, func() { u.k.Dispatch(session.ReviewAccepted{}) })
	bottom := container.NewBorder(nil, nil, nil, sized(next, 460, 76), para(l.T("review.hint")))
	return static{container.NewBorder(withDraftNotice(l, title(l.T("review.title"))), bottom, nil, nil, scrolledDocument(scroll, nil))}
}
