package document

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/assets"
)

// pdfDate is 01:30 on 25.11.2026 in Almaty, so zone handling shows.
var pdfDate = time.Date(2026, 11, 24, 20, 30, 0, 0, time.UTC)

func demoApplication(t testing.TB, lang string) Application {
	t.Helper()
	o := ticket.DemoOrder()
	doc := &provider.IDDocument{IIN: o.Subscriber.IIN, Surname: o.Subscriber.Surname, Given: o.Subscriber.Given,
		Patronymic: o.Subscriber.Patronymic, BirthDate: "1990-01-01", DocNumber: "N12345678"}
	clause, err := assets.Text(lang, "application")
	if err != nil {
		t.Fatal(err)
	}
	return Build(lang, o, doc, pdfDate, string(clause))
}

func demoSignature() *SignatureBlock {
	return &SignatureBlock{CertSerial: "4F2A9C01D3E5B7", Signer: "САРСЕНБАЕВ НУРЛАН", SignedAt: pdfDate.Add(3 * time.Minute)}
}

// tool finds a checker binary. CI must have it (`make deps`); a developer
// machine without it skips the test.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (run make deps): %v", name, err)
		}
		t.Skipf("%s not installed (run make deps)", name)
	}
	return p
}

// pdfText writes pdf to a temporary file, checks it with qpdf and returns
// pdftotext's layout text with whitespace runs collapsed.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	qpdf, pdftotext := tool(t, "qpdf"), tool(t, "pdftotext")
	path := filepath.Join(t.TempDir(), "application.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(qpdf, "--check", path).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	out, err := exec.Command(pdftotext, "-layout", "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// hasPageNumbers reports whether every page's footer "i / n" is in text.
// pdftotext may drop the spaces around the slash in the footer.
func hasPageNumbers(text string, n int) bool {
	for i := 1; i <= n; i++ {
		if !regexp.MustCompile(fmt.Sprintf(`(^|\s)%d ?/ ?%d(\s|$)`, i, n)).MatchString(text) {
			return false
		}
	}
	return true
}

// pageCount counts page objects without external tools.
func pageCount(pdf []byte) int {
	return len(regexp.MustCompile(`/Type /Page[^s]`).FindAll(pdf, -1))
}

func TestPDFIsDeterministic(t *testing.T) {
	for _, lang := range []string{"kk", "ru", "en"} {
		for _, sig := range []*SignatureBlock{nil, demoSignature()} {
			a := demoApplication(t, lang)
			first, err := a.PDF(sig)
			if err != nil {
				t.Fatal(err)
			}
			second, err := demoApplication(t, lang).PDF(sig)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, second) {
				t.Errorf("%s signed=%v: same inputs, different bytes", lang, sig != nil)
			}
			if !bytes.HasPrefix(first, []byte("%PDF-")) {
				t.Fatalf("%s: not a PDF", lang)
			}
			// The file dates are the application's, never the clock's.
			if !bytes.Contains(first, []byte("(D:20261125000000)")) {
				t.Errorf("%s: creation date not from the application", lang)
			}
			if bytes.Contains(first, []byte("/ID")) {
				t.Errorf("%s: trailer has an /ID", lang)
			}
		}
	}
	a := demoApplication(t, "kk")
	one, _ := a.PDF(demoSignature())
	other := demoSignature()
	other.CertSerial = "00"
	two, _ := a.PDF(other)
	if bytes.Equal(one, two) {
		t.Fatal("the signature block does not reach the file")
	}
}

func TestPDFBadDate(t *testing.T) {
	a := demoApplication(t, "ru")
	a.Date = "2026-11-25"
	if _, err := a.PDF(nil); err == nil {
		t.Fatal("an unparsable date was accepted")
	}
}

func TestPDFTextAndStructure(t *testing.T) {
	o := ticket.DemoOrder()
	sig := demoSignature()
	for _, tc := range []struct{ lang, title string }{
		{"kk", "Жария шартқа қосылу туралы өтініш"},
		{"ru", "Заявление о присоединении к публичному договору"},
		{"en", "Application for joining the public contract"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			pdf, err := demoApplication(t, tc.lang).PDF(sig)
			if err != nil {
				t.Fatal(err)
			}
			text := pdfText(t, pdf)
			for _, want := range []string{tc.title, "Сәрсенбаев", "Нұрлан", "Қайратұлы", o.Subscriber.IIN,
				o.Equipment[0].Serial, o.Address, o.ID, "25.11.2026", o.Tariff.Name, o.Services[0].Name,
				Label(tc.lang, "signed"), sig.CertSerial, sig.Signer, "25.11.2026 01:33:00 UTC+5"} {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q", want)
				}
			}
			if !hasPageNumbers(text, pageCount(pdf)) {
				t.Errorf("page numbers missing for %d pages", pageCount(pdf))
			}
			if tc.lang == "kk" && !strings.Contains(text, "• АлмаТел компаниясының") {
				t.Errorf("list item without its bullet:\n%s", text)
			}
		})
	}
}

func TestPDFUnsigned(t *testing.T) {
	pdf, err := demoApplication(t, "ru").PDF(nil)
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf)
	if !strings.Contains(text, Label("ru", "unsigned")) || strings.Contains(text, Label("ru", "signed")+" ") {
		t.Fatalf("unsigned block wrong:\n%s", text)
	}
	if !strings.Contains(text, Label("ru", "signed_at")) {
		t.Fatal("unsigned block lacks its labels")
	}
}

func TestPDFLongClauseAndValuesBreakPages(t *testing.T) {
	a := demoApplication(t, "kk")
	var clause strings.Builder
	clause.WriteString("# Ұзын мәтін\n\n")
	for i := range 40 {
		fmt.Fprintf(&clause, "## Бөлім %d\n\n", i+1)
		clause.WriteString(strings.Repeat("Әріптестік шарттары бойынша ақпарат і ү ұ қ ғ ң ө һ. ", 6) + "\n\n")
		fmt.Fprintf(&clause, "- тармақ %d\n- келесі тармақ\n\n", i+1)
	}
	a.Clause = clause.String()
	// A value far longer than a row usually is, and one taller than a page.
	a.Sections[2].Rows[0].Value = strings.Repeat("Алматы қ., Абай даңғылы, 150, 12-пәтер; ", 12)
	a.Sections = append(a.Sections, Section{Title: "Ұзын", Rows: []Row{{"ұзын", strings.Repeat("мәтін ", 1500) + "СОҢЫ"}}})

	pdf, err := a.PDF(demoSignature())
	if err != nil {
		t.Fatal(err)
	}
	n := pageCount(pdf)
	if n < 3 {
		t.Fatalf("%d pages for a long clause", n)
	}
	again, _ := a.PDF(demoSignature())
	if !bytes.Equal(pdf, again) {
		t.Fatal("long document not deterministic")
	}
	text := pdfText(t, pdf)
	if !hasPageNumbers(text, n) {
		t.Errorf("page numbers missing for %d pages", n)
	}
	for _, want := range []string{"Бөлім 40", "СОҢЫ", "Сәрсенбаев", demoSignature().CertSerial} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
}

func BenchmarkPDF(b *testing.B) {
	a := demoApplication(b, "kk")
	sig := demoSignature()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.PDF(sig); err != nil {
			b.Fatal(err)
		}
	}
}
