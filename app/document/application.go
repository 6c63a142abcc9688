// Package document holds the Application for joining the public contract:
// one model built from the ticket's order and the ID document, shown by the
// review screen and rendered into the signed file.
package document

import (
	"fmt"
	"strings"
	"time"

	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/ticket"
)

// Almaty is the offices' time zone. Kazakhstan keeps UTC+5 all year since
// 2024, so a fixed zone needs no tzdata on the kiosk.
var Almaty = time.FixedZone("UTC+5", 5*60*60)

// Row is one labelled value.
type Row struct {
	Label, Value string
}

// Section is a titled group of rows.
type Section struct {
	Title string
	Rows  []Row
}

// Application is the document in one language, ready to show or render.
// Personal data: never log it.
type Application struct {
	Lang     string
	Title    string
	Number   string
	Date     string
	Company  string
	Sections []Section
	Clause   string // the accession clause, from assets/texts/<lang>/application.md
}

// Build assembles the application. date is the session's start, so the same
// inputs give the same document.
func Build(lang string, order ticket.Order, doc *provider.IDDocument, date time.Time, clause string) Application {
	l := func(k string) string { return Label(lang, k) }
	sub := order.Subscriber
	personal := []Row{
		{l("surname"), sub.Surname},
		{l("given"), sub.Given},
		{l("patronymic"), sub.Patronymic},
		{l("iin"), sub.IIN},
	}
	if doc != nil {
		// The ID document is the authority for the person's data.
		personal = []Row{
			{l("surname"), doc.Surname},
			{l("given"), doc.Given},
			{l("patronymic"), doc.Patronymic},
			{l("iin"), doc.IIN},
			{l("birth_date"), doc.BirthDate},
			{l("doc_number"), doc.DocNumber},
		}
	}
	personal = append(personal, Row{l("phone"), sub.Phone})

	services := []Row{{l("tariff"), fmt.Sprintf("%s (%s)", order.Tariff.Name, order.Tariff.Code)},
		{l("fee"), order.Tariff.MonthlyFee + " " + order.Tariff.Currency}}
	for _, s := range order.Services {
		services = append(services, Row{l("service"), s.Name})
	}

	var equipment []Row
	for _, e := range order.Equipment {
		equipment = append(equipment, Row{e.Model, l("serial") + ": " + e.Serial})
	}
	if len(equipment) == 0 {
		equipment = []Row{{l("equipment"), l("none")}}
	}

	return Application{
		Lang:    lang,
		Title:   l("title"),
		Number:  order.ID,
		Date:    date.In(Almaty).Format("02.01.2006"),
		Company: l("company"),
		Sections: []Section{
			{Title: l("personal"), Rows: personal},
			{Title: l("services"), Rows: services},
			{Title: l("address"), Rows: []Row{{l("address"), order.Address}}},
			{Title: l("equipment"), Rows: equipment},
		},
		Clause: strings.TrimSpace(clause),
	}
}

// Text renders the application as plain UTF-8 text: the same model the PDF
// and the review screen show, in a form tests can compare line by line.
func (a Application) Text() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n%s %s    %s: %s\n\n", a.Title, a.Company, Label(a.Lang, "number"), a.Number, Label(a.Lang, "date"), a.Date)
	for _, s := range a.Sections {
		fmt.Fprintf(&b, "%s\n", s.Title)
		for _, r := range s.Rows {
			fmt.Fprintf(&b, "  %s: %s\n", r.Label, r.Value)
		}
		b.WriteString("\n")
	}
	if !a.ClauseHasHeading() {
		fmt.Fprintf(&b, "%s\n", Label(a.Lang, "accession"))
	}
	fmt.Fprintf(&b, "%s\n", a.Clause)
	return []byte(b.String())
}

// ClauseHasHeading reports whether the accession clause carries its
// heading itself: the PDF, Text and the review screen add it only when
// not, so it is never shown twice in a row.
func (a Application) ClauseHasHeading() bool {
	return hasHeading(parseClause(a.Clause), Label(a.Lang, "accession"))
}
