package card

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pageText is pdftotext's layout text of page n with whitespace collapsed;
// -nodiag leaves the diagonal watermark out so it cannot split words.
func pageText(t *testing.T, path string, n int) string {
	t.Helper()
	out := run(t, "pdftotext", "-layout", "-nodiag", "-enc", "UTF-8", "-f", strconv.Itoa(n), "-l", strconv.Itoa(n), path, "-")
	return strings.Join(strings.Fields(out), " ")
}

func pageCount(t *testing.T, path string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindStringSubmatch(run(t, "pdfinfo", path))
	if m == nil {
		t.Fatal("pdfinfo: no page count")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// pageNumber matches each language's "n of N" with its two numbers.
var pageNumber = map[string]*regexp.Regexp{
	"ru": regexp.MustCompile(`(\d+) из (\d+)$`),
	"kk": regexp.MustCompile(`(\d+) беттің (\d+) беті$`),
	"en": regexp.MustCompile(`(\d+) of (\d+)$`),
}

func TestEmbeddedFilesInOrderWithExactBytes(t *testing.T) {
	in := demoInput(t, "kk")
	// A later signature given first: the card orders them by genTime.
	second := signature(t, in.PDF, shahizad, 0x77, "өтініш-2.pdf.cms", in.Signatures[0].GenTime.Add(time.Hour))
	in.Signatures = []Signature{second, in.Signatures[0]}
	path := writeCard(t, build(t, in))

	list := run(t, "pdfdetach", "-enc", "UTF-8", "-list", path)
	want := "3 embedded files\n1: application.pdf\n2: application.pdf.cms\n3: өтініш-2.pdf.cms\n"
	if list != want {
		t.Fatalf("pdfdetach -list:\n%s\nwant:\n%s", list, want)
	}
	dir := t.TempDir()
	run(t, "pdfdetach", "-enc", "UTF-8", "-saveall", "-o", dir, path)
	for name, content := range map[string][]byte{"application.pdf": in.PDF, "application.pdf.cms": in.Signatures[1].CMS,
		"өтініш-2.pdf.cms": second.CMS} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, content) {
			t.Errorf("%s: extracted bytes differ from the embedded file", name)
		}
	}
	// The card's own instructions work on what comes out: the CMS
	// verifies over the extracted original.
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, getPKI(t).caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"application.pdf.cms", "өтініш-2.pdf.cms"} {
		cmd := exec.Command(tool(t, "openssl"), "cms", "-verify", "-binary", "-inform", "DER", "-in", filepath.Join(dir, name),
			"-content", filepath.Join(dir, "application.pdf"), "-CAfile", ca, "-purpose", "any", "-out", os.DevNull)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("openssl cms -verify %s: %v\n%s", name, err, out)
		}
	}
	// The signature pages follow genTime too.
	n := pageCount(t, path)
	if !strings.Contains(pageText(t, path, n-1), "САРСЕНБАЕВ НУРЛАН") || !strings.Contains(pageText(t, path, n), "ШАҺИЗАДА") {
		t.Error("signature pages not in order of genTime")
	}
}

func TestQPDFCheckAndVersion(t *testing.T) {
	for _, lang := range []string{"kk", "ru", "en"} {
		pdf := build(t, demoInput(t, lang))
		m := regexp.MustCompile(`^%PDF-1\.(\d)`).FindSubmatch(pdf)
		if m == nil || m[1][0] < '4' {
			t.Errorf("%s: header %q, want PDF 1.4 or later", lang, pdf[:8])
		}
		path := writeCard(t, pdf)
		if out, err := exec.Command(tool(t, "qpdf"), "--check", path).CombinedOutput(); err != nil {
			t.Errorf("%s: qpdf --check: %v\n%s", lang, err, out)
		}
		info := run(t, "pdfinfo", "-isodates", path)
		if !strings.Contains(info, "2026-12-02T09:05:31Z") || !strings.Contains(info, "A4") {
			t.Errorf("%s: creation date or page size wrong:\n%s", lang, info)
		}
	}
}

func TestDeterministic(t *testing.T) {
	in := demoInput(t, "ru")
	one, two := build(t, in), build(t, in)
	if !bytes.Equal(one, two) {
		t.Fatal("same input, different bytes")
	}
	if bytes.Contains(one, []byte("/ID")) {
		t.Error("trailer has an /ID")
	}
	later := in
	later.Created = in.Created.Add(time.Second)
	if bytes.Equal(one, build(t, later)) {
		t.Error("the creation time does not reach the card")
	}
	// Signatures given in another order of equal genTime keep theirs.
	s2 := in.Signatures[0]
	s2.CMSName = "second.cms"
	in.Signatures = append(in.Signatures, s2)
	if !bytes.Equal(build(t, in), build(t, in)) {
		t.Error("two signatures: same input, different bytes")
	}
}

func TestInformationBlock(t *testing.T) {
	for _, tc := range []struct {
		lang  string
		wants []string
	}{
		{"kk", []string{"ЭЛЕКТРОНДЫҚ ҚҰЖАТ КАРТОЧКАСЫ", "Карточка электронного документа", "Жария шартқа қосылу туралы өтініш",
			"Тіркелген файлдар", "Электрондық құжаттың түпнұсқасы", "НАЗАР АУДАРЫҢЫЗ!", "заңды күші жоқ", "Қолтаңбаларды қалай тексеруге болады"}},
		{"ru", []string{"КАРТОЧКА ЭЛЕКТРОННОГО ДОКУМЕНТА", "Заявление о присоединении к публичному договору",
			"Вложенные файлы", "Подлинник электронного документа", "ВНИМАНИЕ!", "не имеет юридической силы", "Как проверить подписи"}},
		{"en", []string{"ELECTRONIC DOCUMENT CARD", "Карточка электронного документа", "Application for joining the public contract",
			"Embedded files", "Original of the electronic document", "WARNING!", "no legal force", "How to check the signatures"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			in := demoInput(t, tc.lang)
			// A second signer whose name has һ, the rarest Kazakh letter.
			in.Signatures = append(in.Signatures, signature(t, in.PDF, shahizad, 9, "2.cms", in.Signatures[0].GenTime.Add(time.Minute)))
			path := writeCard(t, build(t, in))
			text := pageText(t, path, 1)
			wants := append(tc.wants, "2026-12-02 14:05:31 (UTC+5, Asia/Almaty)", "signkiosk v1.4.0, kiosk ALM-017",
				"1. application.pdf", "2. application.pdf.cms", "САРСЕНБАЕВ НУРЛАН ҚАЙРАТҰЛЫ", "ORD-2026-000123",
				"openssl cms -verify", "ezSigner", "signkiosk verify", "-content application.pdf")
			for _, want := range wants {
				if !strings.Contains(text, want) {
					t.Errorf("page 1 lacks %q:\n%s", want, text)
				}
			}
			// Page 1 carries neither footer nor page number.
			if pageNumber[tc.lang].MatchString(text) || strings.HasSuffix(text, label(tc.lang, "footer")) {
				t.Errorf("page 1 has a footer:\n%s", text)
			}
			if strings.Contains(text, label(tc.lang, "verified")) {
				t.Errorf("page 1 claims a check nobody made:\n%s", text)
			}
			// With the issuing system's check, page 1 says when and what.
			in.Verified = &Verification{At: in.Created, Indication: "TOTAL_PASSED"}
			checked := pageText(t, writeCard(t, build(t, in)), 1)
			if !strings.Contains(flatText(checked), flatText(label(tc.lang, "verified"))) || !strings.Contains(checked, "TOTAL_PASSED") {
				t.Errorf("page 1 does not say the signatures were checked:\n%s", checked)
			}
			if tc.lang == "kk" {
				all := strings.ToLower(allText(t, path))
				for _, r := range "іәғқңөұүһ" {
					if !strings.ContainsRune(all, r) {
						t.Errorf("the Kazakh card lacks %q", r)
					}
				}
			}
		})
	}
}

// flatText joins what pdftotext may wrap.
func flatText(s string) string { return strings.Join(strings.Fields(s), " ") }

func allText(t *testing.T, path string) string {
	t.Helper()
	return run(t, "pdftotext", "-nodiag", "-enc", "UTF-8", path, "-")
}

// TestPartsFooterAndContents checks every page's header, footer and number
// from page 2 on, and that the contents on page 1 name the right pages.
// The visualization has as many pages as application.pdf: the content
// area is as wide and as high.
func TestPartsFooterAndContents(t *testing.T) {
	for _, lang := range []string{"kk", "ru", "en"} {
		t.Run(lang, func(t *testing.T) {
			in := demoInput(t, lang)
			path := writeCard(t, build(t, in))
			n := pageCount(t, path)
			appPages := pageCount(t, writeCard(t, in.PDF))
			var doc, sig []int
			for p := 2; p <= n; p++ {
				text := pageText(t, path, p)
				m := pageNumber[lang].FindStringSubmatch(text)
				if m == nil {
					t.Fatalf("page %d: no page number:\n%s", p, text)
				}
				num, total := m[1], m[2]
				if lang == "kk" {
					num, total = m[2], m[1]
				}
				if num != strconv.Itoa(p) || total != strconv.Itoa(n) {
					t.Errorf("page %d: no page number \"%d of %d\":\n%s", p, p, n, text)
				}
				if !strings.HasSuffix(strings.TrimSuffix(text, m[0]), label(lang, "footer")+" ") ||
					!strings.Contains(label(lang, "footer"), "Карточка электронного документа") {
					t.Errorf("page %d: no footer", p)
				}
				switch {
				case strings.HasPrefix(text, label(lang, "doc_header")):
					doc = append(doc, p)
					if !strings.Contains(text, "Визуализация электронного документа") {
						t.Errorf("page %d: header lacks the Russian wording", p)
					}
				case strings.HasPrefix(text, label(lang, "sig_header")):
					sig = append(sig, p)
				default:
					t.Errorf("page %d: no header:\n%s", p, text)
				}
			}
			if len(doc) != appPages || len(sig) != 1 || doc[0] != 2 || sig[0] != 2+appPages {
				t.Fatalf("visualization pages %v (application.pdf has %d), signature pages %v", doc, appPages, sig)
			}
			l := func(k string, a ...any) string { return fmt.Sprintf(label(lang, k), a...) }
			contents := pageText(t, path, 1)
			for _, want := range []string{l("part_info") + " " + l("page_one", 1), l("page_range", 2, 1+appPages),
				l("page_one", n)} {
				if !strings.Contains(contents, want) {
					t.Errorf("contents lack %q:\n%s", want, contents)
				}
			}
		})
	}
}

func TestWatermarkOverEveryVisualizationPage(t *testing.T) {
	in := demoInput(t, "kk")
	path := writeCard(t, build(t, in))
	qdf := filepath.Join(t.TempDir(), "qdf.pdf")
	run(t, "qpdf", "--qdf", "--object-streams=disable", path, qdf)
	raw, err := os.ReadFile(qdf)
	if err != nil {
		t.Fatal(err)
	}
	// fpdf writes text as UTF-16BE strings; qpdf's QDF form shows them in hex.
	utf16 := func(s string) string {
		var b strings.Builder
		b.WriteByte('<')
		for _, r := range s {
			fmt.Fprintf(&b, "%04x", r)
		}
		b.WriteByte('>')
		return b.String()
	}
	mark := []byte(utf16(watermark))
	name := []byte(utf16("Сәрсенбаев"))
	rotation := regexp.MustCompile(`q\s+([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) [-\d.]+ [-\d.]+ cm\s`)
	streams := regexp.MustCompile(`(?s)%% Contents for page (\d+)\n.*?stream\n(.*?)endstream`).FindAllSubmatch(raw, -1)
	if len(streams) != pageCount(t, path) {
		t.Fatalf("%d page streams", len(streams))
	}
	appPages := pageCount(t, writeCard(t, in.PDF))
	var marked []int
	for _, s := range streams {
		page, _ := strconv.Atoi(string(s[1]))
		content := s[2]
		// The watermark is the string drawn right after a rotation; the
		// header's wording is drawn upright.
		var at int = -1
		for _, m := range rotation.FindAllSubmatchIndex(content, -1) {
			i := bytes.Index(content[m[1]:], mark)
			if i < 0 || i > 200 {
				continue
			}
			if sin, _ := strconv.ParseFloat(string(content[m[4]:m[5]]), 64); sin < 0.5 {
				t.Errorf("page %d: watermark not diagonal (sin %v)", page, sin)
			}
			at = m[1] + i
		}
		if at < 0 {
			continue
		}
		marked = append(marked, page)
		if i := bytes.LastIndex(content, name); i > at {
			t.Errorf("page %d: body text drawn over the watermark", page)
		}
		if bytes.Count(content[at+len(mark):], []byte(" Tj")) != 1 { // its own
			t.Errorf("page %d: text drawn after the watermark", page)
		}
	}
	if fmt.Sprint(marked) != fmt.Sprint(seq(2, 1+appPages)) {
		t.Fatalf("watermark on pages %v, want %v", marked, seq(2, 1+appPages))
	}
	if !strings.Contains(run(t, "pdftotext", "-f", "2", "-l", "2", path, "-"), "Визуализация электронного документа") {
		t.Error("the header wording is not in the text")
	}
}

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func TestSignaturePage(t *testing.T) {
	for _, lang := range []string{"kk", "ru", "en"} {
		t.Run(lang, func(t *testing.T) {
			in := demoInput(t, lang)
			s := in.Signatures[0]
			path := writeCard(t, build(t, in))
			text := pageText(t, path, pageCount(t, path))
			l := func(k string) string { return label(lang, k) }
			for _, want := range []string{
				fmt.Sprintf(l("sig_title"), 1),
				"САРСЕНБАЕВ НУРЛАН ҚАЙРАТҰЛЫ", "900101300123",
				"4F2A9C" + strings.Repeat("0", 25), // the serial, 0x4F2A9C << 100, in hex
				"2026-11-25 01:29:00 (UTC+5, Asia/Almaty)",
				"2027-11-25 01:29:00 (UTC+5, Asia/Almaty)",
				oidNames["1.2.398.3.3.4.3.2"][lang] + " (1.2.398.3.3.4.3.2)",
				oidNames["1.2.398.3.3.4.3.2.1"][lang] + " (1.2.398.3.3.4.3.2.1)",
				oidNames["1.2.398.3.3.4.1.1"][lang] + " (1.2.398.3.3.4.1.1)",
				oidNames["1.3.6.1.5.5.7.3.4"][lang] + " (1.3.6.1.5.5.7.3.4)",
				"(digitalSignature)", "(nonRepudiation)",
				"CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (ДЕМО),C=KZ",
				"GIVENNAME=ҚАЙРАТҰЛЫ", "SERIALNUMBER=IIN900101300123",
				"2026-11-25 01:33:02 (UTC+5, Asia/Almaty)", // genTime
				"CN=TSA SERVICE (DEMO),C=KZ", "5A17C0DE", "1.2.398.3.3.2.6.2",
				"CN=OCSP RESPONDER (DEMO),C=KZ", l("good"), "2026-11-25 01:33:03 (UTC+5, Asia/Almaty)",
				"2026-11-26 01:33:02 (UTC+5, Asia/Almaty)", s.CMSName, fmt.Sprintf("%d", len(s.CMS)),
			} {
				// The subject wraps inside its cell: compare without spaces too.
				if !strings.Contains(text, want) && !strings.Contains(strings.ReplaceAll(text, " ", ""), strings.ReplaceAll(want, " ", "")) {
					t.Errorf("signature page lacks %q:\n%s", want, text)
				}
			}
		})
	}
}

// bboxDoc is pdftotext -bbox's XHTML: words with their boxes in points.
type bboxDoc struct {
	Pages []struct {
		Words []struct {
			XMin float64 `xml:"xMin,attr"`
			YMin float64 `xml:"yMin,attr"`
			XMax float64 `xml:"xMax,attr"`
			YMax float64 `xml:"yMax,attr"`
			Text string  `xml:",chardata"`
		} `xml:"word"`
	} `xml:"body>doc>page"`
}

// TestMargins reads every word's box: all text lies between the left
// (30 mm) and right (10 mm) margins; body text between the top (20 mm) and
// bottom (20 mm) ones; only the running header sits in the top margin and
// only the footer in the bottom one.
func TestMargins(t *testing.T) {
	in := demoInput(t, "kk")
	in.QR = true
	path := writeCard(t, build(t, in))
	out := run(t, "pdftotext", "-bbox", "-enc", "UTF-8", path, "-")
	var doc bboxDoc
	dec := xml.NewDecoder(strings.NewReader(out))
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Pages) != pageCount(t, path) || len(doc.Pages) < 5 {
		t.Fatalf("%d pages in -bbox", len(doc.Pages))
	}
	// The specification's numbers, not the package's constants.
	const left, top, right, bottom, tol = 30.0, 20.0, 10.0, 20.0, 0.3
	mm := func(pt float64) float64 { return pt * 25.4 / 72 }
	header := strings.Fields(label("kk", "doc_header") + " " + label("kk", "sig_header"))
	footer := strings.Fields(label("kk", "footer") + " беттің беті")
	for i, p := range doc.Pages {
		if len(p.Words) == 0 {
			t.Fatalf("page %d: no words", i+1)
		}
		for _, w := range p.Words {
			x0, x1, y0, y1 := mm(w.XMin), mm(w.XMax), mm(w.YMin), mm(w.YMax)
			if x0 < left-tol || x1 > 210-right+tol {
				t.Errorf("page %d: %q at x %.1f–%.1f mm, outside the side margins", i+1, w.Text, x0, x1)
			}
			switch {
			case y1 <= top+tol:
				if i == 0 || !inWords(w.Text, header) {
					t.Errorf("page %d: %q in the top margin (y %.1f–%.1f mm)", i+1, w.Text, y0, y1)
				}
			case y0 >= 297-bottom-tol:
				if i == 0 || !inWords(w.Text, footer) && !regexp.MustCompile(`^\d+$`).MatchString(w.Text) {
					t.Errorf("page %d: %q in the bottom margin (y %.1f–%.1f mm)", i+1, w.Text, y0, y1)
				}
			case y0 < top-tol || y1 > 297-bottom+tol:
				t.Errorf("page %d: %q straddles a margin (y %.1f–%.1f mm)", i+1, w.Text, y0, y1)
			}
		}
	}
}

func inWords(w string, words []string) bool {
	for _, x := range words {
		if w == x {
			return true
		}
	}
	return false
}

func TestLongApplicationAndManySignatures(t *testing.T) {
	in := demoInput(t, "ru")
	var clause strings.Builder
	for i := range 30 {
		fmt.Fprintf(&clause, "## Раздел %d\n\n%s\n\n- пункт %d\n\n", i+1, strings.Repeat("Условия договора о присоединении. ", 12), i+1)
	}
	in.Application.Clause = clause.String()
	pdf, err := in.Application.PDF(in.Block)
	if err != nil {
		t.Fatal(err)
	}
	in.PDF = pdf
	base := in.Signatures[0]
	in.Signatures = nil
	for i := range maxFiles - 1 {
		s := base
		s.CMSName = fmt.Sprintf("signature-%d.cms", i+1)
		s.GenTime = base.GenTime.Add(time.Duration(i) * time.Minute)
		in.Signatures = append(in.Signatures, s)
	}
	path := writeCard(t, build(t, in))
	appPages := pageCount(t, writeCard(t, pdf))
	n := pageCount(t, path)
	if appPages < 4 {
		t.Fatalf("long application has %d pages", appPages)
	}
	// The information block now spills: the contents still add up.
	info := n - appPages - len(in.Signatures)
	if info < 1 {
		t.Fatalf("%d pages: %d application, %d signatures", n, appPages, len(in.Signatures))
	}
	first := pageText(t, path, 1)
	for _, want := range []string{fmt.Sprintf(label("ru", "page_range"), info+1, info+appPages),
		fmt.Sprintf(label("ru", "page_range"), info+appPages+1, n)} {
		if !strings.Contains(first+" "+pageText(t, path, 2), want) {
			t.Errorf("contents lack %q", want)
		}
	}
	list := run(t, "pdfdetach", "-list", path)
	if !strings.Contains(list, "9 embedded files") || !strings.Contains(list, "9: signature-8.cms") || !strings.Contains(list, "2: signature-1.cms") {
		t.Errorf("pdfdetach -list:\n%s", list)
	}
	if !strings.Contains(allText(t, path), "Раздел 30") {
		t.Error("the long clause is cut")
	}
}

func TestRejectsWhatItCannotCarry(t *testing.T) {
	good := demoInput(t, "kk")
	tooMany := good
	for range maxFiles {
		tooMany.Signatures = append(tooMany.Signatures, good.Signatures[0])
	}
	for i := range tooMany.Signatures {
		tooMany.Signatures[i].CMSName = fmt.Sprintf("s%d.cms", i)
	}
	mod := func(f func(*Input)) Input {
		in := good
		in.Signatures = append([]Signature(nil), good.Signatures...)
		f(&in)
		return in
	}
	for name, in := range map[string]Input{
		"no pdf":          mod(func(in *Input) { in.PDF = nil }),
		"no time":         mod(func(in *Input) { in.Created = time.Time{} }),
		"no signature":    mod(func(in *Input) { in.Signatures = nil }),
		"too many":        tooMany,
		"path name":       mod(func(in *Input) { in.PDFName = "../application.pdf" }),
		"windows path":    mod(func(in *Input) { in.Signatures[0].CMSName = `C:\x.cms` }),
		"no extension":    mod(func(in *Input) { in.PDFName = "application" }),
		"control char":    mod(func(in *Input) { in.PDFName = "a\x07.pdf" }),
		"bad utf-8":       mod(func(in *Input) { in.PDFName = "a\xff.pdf" }),
		"same name":       mod(func(in *Input) { in.Signatures[0].CMSName = "application.pdf" }),
		"empty cms":       mod(func(in *Input) { in.Signatures[0].CMS = nil }),
		"no signer":       mod(func(in *Input) { in.Signatures[0].Signer = nil }),
		"no genTime":      mod(func(in *Input) { in.Signatures[0].GenTime = time.Time{} }),
		"empty cms name":  mod(func(in *Input) { in.Signatures[0].CMSName = "" }),
		"dot name":        mod(func(in *Input) { in.PDFName = ".." }),
		"trailing dot":    mod(func(in *Input) { in.PDFName = "application." }),
		"very long name":  mod(func(in *Input) { in.PDFName = strings.Repeat("ә", 101) + ".pdf" }),
		"slash in sig":    mod(func(in *Input) { in.Signatures[0].CMSName = "sig/1.cms" }),
		"no pdf name":     mod(func(in *Input) { in.PDFName = "" }),
		"colon name":      mod(func(in *Input) { in.PDFName = "a:b.pdf" }),
		"line break name": mod(func(in *Input) { in.PDFName = "a\nb.pdf" }),
	} {
		if _, err := Build(in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Build(good); err != nil {
		t.Fatal(err)
	}
}

func TestLanguageFallback(t *testing.T) {
	in := demoInput(t, "ru")
	in.Lang = "de"
	path := writeCard(t, build(t, in))
	if !strings.Contains(pageText(t, path, 1), "КАРТОЧКА ЭЛЕКТРОННОГО ДОКУМЕНТА") {
		t.Error("an unknown language does not fall back to the application's")
	}
	if cardLang("de", "fr") != "ru" || cardLang("", "kk") != "kk" || cardLang("en", "kk") != "en" {
		t.Error("cardLang")
	}
	for _, lang := range []string{"kk", "ru", "en"} {
		for k := range labels["ru"] {
			if _, ok := labels[lang][k]; !ok {
				t.Errorf("%s lacks label %q", lang, k)
			}
		}
		for oid, names := range oidNames {
			if names[lang] == "" {
				t.Errorf("%s lacks a name for %s", lang, oid)
			}
		}
	}
}

// TestScreens renders page 1 and the signature page to PNG for a person to
// look at; with CARD_SCREENS=DIR it keeps them there (docs/screens).
func TestScreens(t *testing.T) {
	in := demoInput(t, "kk")
	path := writeCard(t, build(t, in))
	dir := os.Getenv("CARD_SCREENS")
	if dir == "" {
		dir = t.TempDir()
	}
	n := pageCount(t, path)
	for name, page := range map[string]int{"card-info": 1, "card-signature": n} {
		prefix := filepath.Join(t.TempDir(), name)
		run(t, "pdftoppm", "-r", "60", "-png", "-singlefile", "-f", strconv.Itoa(page), "-l", strconv.Itoa(page), path, prefix)
		png, err := os.ReadFile(prefix + ".png")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Fatalf("%s: not a PNG", name)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkBuild(b *testing.B) {
	a := demoApplication(b, "kk")
	pdf, err := a.PDF(nil)
	if err != nil {
		b.Fatal(err)
	}
	in := Input{Lang: "kk", Application: a, PDF: pdf, PDFName: "application.pdf", Created: cardTime, IssuedBy: "signkiosk",
		Signatures: []Signature{{CMS: []byte("cms"), CMSName: "application.pdf.cms", Signer: signerCert(b, nurlan, 1), GenTime: cardTime}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(in); err != nil {
			b.Fatal(err)
		}
	}
}
