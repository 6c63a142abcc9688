package document

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/ticket"
)

func TestBuildCarriesEveryPartInEachLanguage(t *testing.T) {
	o := ticket.DemoOrder()
	doc := &provider.IDDocument{IIN: o.Subscriber.IIN, Surname: "Сәрсенбаев", Given: "Нұрлан", Patronymic: "Қайратұлы", BirthDate: "1990-01-01", DocNumber: "N12345678"}
	date := time.Date(2026, 11, 24, 20, 30, 0, 0, time.UTC) // 01:30 next day in Almaty
	for _, lang := range []string{"kk", "ru", "en"} {
		a := Build(lang, o, doc, date, "clause text")
		text := string(a.Text())
		for _, want := range []string{o.ID, "Сәрсенбаев", "Нұрлан", o.Subscriber.IIN, "N12345678", o.Subscriber.Phone,
			o.Tariff.Name, o.Tariff.MonthlyFee, o.Services[0].Name, o.Address, o.Equipment[0].Serial, "clause text", "25.11.2026"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: document lacks %q", lang, want)
			}
		}
		if !strings.Contains(text, Label(lang, "title")) {
			t.Errorf("%s: no title", lang)
		}
		if !bytes.Equal(a.Text(), Build(lang, o, doc, date, "clause text").Text()) {
			t.Errorf("%s: same inputs, different output", lang)
		}
	}
	if !strings.Contains(Label("kk", "title"), "өтініш") || !strings.Contains(Label("ru", "title"), "Заявление") {
		t.Fatal("titles")
	}
}

func TestBuildWithoutIDDocumentOrEquipment(t *testing.T) {
	o := ticket.DemoOrder()
	o.Equipment = nil
	a := Build("ru", o, nil, time.Now(), "")
	text := string(a.Text())
	if !strings.Contains(text, o.Subscriber.Surname) || !strings.Contains(text, Label("ru", "none")) {
		t.Fatalf("%s", text)
	}
	if Label("de", "title") != Label("en", "title") {
		t.Fatal("unknown language does not fall back to English")
	}
}

// The accession heading shows once: added when the clause lacks it, not
// again when the clause carries it (as the embedded texts do).
func TestAccessionHeadingOnce(t *testing.T) {
	o := ticket.DemoOrder()
	date := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for _, lang := range []string{"kk", "ru", "en"} {
		heading := Label(lang, "accession")
		for _, clause := range []string{"clause text", "## " + heading + "\n\nclause text"} {
			a := Build(lang, o, nil, date, clause)
			n := 0 // lines that are the heading (the Russian title contains its words)
			for _, line := range strings.Split(string(a.Text()), "\n") {
				if strings.TrimSpace(strings.TrimLeft(line, "#")) == heading {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s, clause %q: the heading %q %d times", lang, clause, heading, n)
			}
			if a.ClauseHasHeading() != strings.Contains(clause, heading) {
				t.Errorf("%s, clause %q: ClauseHasHeading %v", lang, clause, a.ClauseHasHeading())
			}
		}
	}
}
