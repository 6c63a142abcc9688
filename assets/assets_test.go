package assets

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// draftMarkers are the words that once marked a draft inside a text. The
// notice is the UI's (TextsAreDrafts), beside the text: a subscriber never
// consents to a sentence about the text's status.
var draftMarkers = []string{"ҮЛГІ:", "ШАБЛОН:", "TEMPLATE:"}

func TestEveryTextInEveryLanguage(t *testing.T) {
	seen := map[string]string{}
	for _, lang := range Languages() {
		for _, name := range TextNames() {
			b, err := Text(lang, name)
			if err != nil {
				t.Fatalf("Text(%q, %q): %v", lang, name, err)
			}
			where := lang + "/" + name
			if len(bytes.TrimSpace(b)) == 0 {
				t.Errorf("%s: empty", where)
				continue
			}
			if !utf8.Valid(b) {
				t.Errorf("%s: not valid UTF-8", where)
			}
			if bytes.HasPrefix(b, []byte("\uFEFF")) {
				t.Errorf("%s: starts with a byte order mark", where)
			}
			if bytes.Contains(b, []byte("\r")) {
				t.Errorf("%s: has CR line endings (the hash must not depend on the editor)", where)
			}
			if !bytes.HasSuffix(b, []byte("\n")) {
				t.Errorf("%s: does not end with a newline", where)
			}
			for _, m := range draftMarkers {
				if bytes.Contains(b, []byte(m)) {
					t.Errorf("%s: carries the draft marker %q inside the text (the UI shows the notice beside it)", where, m)
				}
			}

			sum, err := TextSHA256(lang, name)
			if err != nil {
				t.Fatalf("TextSHA256(%q, %q): %v", lang, name, err)
			}
			want := sha256.Sum256(b)
			if sum != hex.EncodeToString(want[:]) {
				t.Errorf("%s: TextSHA256 = %s, want the hash of Text's bytes %x", where, sum, want)
			}
			if other, dup := seen[sum]; dup {
				t.Errorf("%s and %s have the same SHA-256", where, other)
			}
			seen[sum] = where
		}
	}
}

func TestTextReturnsACopy(t *testing.T) {
	a, _ := Text(Kazakh, Privacy)
	want, _ := TextSHA256(Kazakh, Privacy)
	a[0] ^= 0xff
	if got, _ := TextSHA256(Kazakh, Privacy); got != want {
		t.Fatal("modifying the slice Text returned changed the embedded text")
	}
}

func TestKazakhTextsUseKazakhLetters(t *testing.T) {
	for _, name := range TextNames() {
		b, _ := Text(Kazakh, name)
		for _, r := range "іәөұқ" {
			if !bytes.ContainsRune(b, r) {
				t.Errorf("kk/%s: no %q (U+%04X); is it written with Russian or Latin look-alikes?", name, r, r)
			}
		}
	}
}

// A word mixing Cyrillic and Latin letters is a look-alike typo (Latin i for
// Kazakh і, Latin o, c, e, p for Cyrillic ones): it searches and hyphenates badly
// and may be drawn from another font.
func TestNoMixedScriptWords(t *testing.T) {
	word := regexp.MustCompile(`[\p{L}]+`)
	for _, lang := range Languages() {
		for _, name := range TextNames() {
			b, _ := Text(lang, name)
			for _, w := range word.FindAllString(string(b), -1) {
				var cyr, lat bool
				for _, r := range w {
					cyr = cyr || unicode.Is(unicode.Cyrillic, r)
					lat = lat || unicode.Is(unicode.Latin, r)
				}
				if cyr && lat {
					t.Errorf("%s/%s: word %q mixes Cyrillic and Latin letters", lang, name, w)
				}
			}
		}
	}
}

// The UI renders the texts as a small Markdown subset: # and ## headings,
// paragraphs and "-" lists. Anything else may render differently on screen and
// in the PDF.
func TestTextsStayInTheMarkdownSubset(t *testing.T) {
	numbered := regexp.MustCompile(`^\d+[.)] `)
	for _, lang := range Languages() {
		for _, name := range TextNames() {
			b, _ := Text(lang, name)
			for i, line := range strings.Split(string(b), "\n") {
				bad := ""
				switch {
				case strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "# ") && !strings.HasPrefix(line, "## "):
					bad = "only # and ## headings"
				case strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t"):
					bad = "no indentation (it becomes a code block or a nested list)"
				case strings.HasPrefix(line, "* ") || strings.HasPrefix(line, "+ ") || numbered.MatchString(line):
					bad = `lists use "- "`
				case strings.HasPrefix(line, ">") || strings.HasPrefix(line, "```") || strings.HasPrefix(line, "|"):
					bad = "no quotes, code or tables"
				case strings.Contains(line, "<") || strings.Contains(line, "**") || strings.Contains(line, "__") || strings.Contains(line, "`"):
					bad = "no HTML, emphasis or code spans"
				case strings.Count(line, "*") > 1 || strings.Count(line, "_") > 1:
					bad = "at most one * or _ in a line (two may become emphasis)"
				}
				if bad != "" {
					t.Errorf("%s/%s line %d: %s: %q", lang, name, i+1, bad, line)
				}
			}
		}
	}
}

func TestUnknownLanguageOrText(t *testing.T) {
	for _, c := range []struct {
		lang, name string
		want       error
	}{
		{"de", Privacy, ErrUnknownLanguage},
		{"", Privacy, ErrUnknownLanguage},
		{"KK", Privacy, ErrUnknownLanguage},
		{"kk/../en", Privacy, ErrUnknownLanguage},
		{Kazakh, "terms", ErrUnknownText},
		{Kazakh, "", ErrUnknownText},
		{Kazakh, "privacy.md", ErrUnknownText},
		{Kazakh, "../../fonts/LICENSE-OFL", ErrUnknownText},
	} {
		if _, err := Text(c.lang, c.name); !errors.Is(err, c.want) {
			t.Errorf("Text(%q, %q) error = %v, want %v", c.lang, c.name, err, c.want)
		}
		if s, err := TextSHA256(c.lang, c.name); !errors.Is(err, c.want) || s != "" {
			t.Errorf("TextSHA256(%q, %q) = %q, %v, want \"\", %v", c.lang, c.name, s, err, c.want)
		}
	}
}

// Every Kazakh letter, upper and lower case, and the whole Russian alphabet.
const requiredLetters = "әғқңөұүһіӘҒҚҢӨҰҮҺІ" +
	"абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"

func TestFonts(t *testing.T) {
	for _, f := range []struct {
		name string
		data []byte
	}{{"regular", FontRegular()}, {"bold", FontBold()}} {
		if len(f.data) <= 100*1024 {
			t.Errorf("%s font: %d bytes, want > 100 KB", f.name, len(f.data))
		}
		if len(f.data) < 12 || binary.BigEndian.Uint32(f.data) != 0x00010000 {
			t.Fatalf("%s font: not a TrueType font (no 0x00010000 magic)", f.name)
		}
		covered, err := cmapCovers(f.data, requiredLetters)
		if err != nil {
			t.Fatalf("%s font: cmap: %v", f.name, err)
		}
		for _, r := range requiredLetters {
			if !covered[r] {
				t.Errorf("%s font: no glyph for %q (U+%04X)", f.name, r, r)
			}
		}
	}
	lic := string(FontLicense())
	for _, s := range []string{"SIL OPEN FONT LICENSE Version 1.1", "Copyright 2015 Google LLC", "Noto Sans"} {
		if !strings.Contains(lic, s) {
			t.Errorf("LICENSE-OFL.txt lacks %q", s)
		}
	}
}

// cmapCovers reports which runes of want the font's Unicode cmap (platform 3,
// encoding 1 or 10; format 4 or 12) maps to a glyph other than .notdef.
func cmapCovers(font []byte, want string) (map[rune]bool, error) {
	u16 := func(o int) int { return int(binary.BigEndian.Uint16(font[o:])) }
	u32 := func(o int) int { return int(binary.BigEndian.Uint32(font[o:])) }
	cmap := -1
	for i, n := 0, u16(4); i < n; i++ {
		rec := 12 + 16*i
		if string(font[rec:rec+4]) == "cmap" {
			cmap = u32(rec + 8)
		}
	}
	if cmap < 0 {
		return nil, errors.New("no cmap table")
	}
	sub := -1
	for i, n := 0, u16(cmap+2); i < n; i++ {
		rec := cmap + 4 + 8*i
		platform, encoding, off := u16(rec), u16(rec+2), u32(rec+4)
		if platform == 3 && (encoding == 1 || encoding == 10) {
			if sub < 0 || u16(cmap+off) == 12 {
				sub = cmap + off
			}
		}
	}
	if sub < 0 {
		return nil, errors.New("no Windows Unicode subtable")
	}
	got := map[rune]bool{}
	switch format := u16(sub); format {
	case 4:
		segs := u16(sub+6) / 2
		ends, starts := sub+14, sub+16+2*segs
		deltas, ranges := starts+2*segs, starts+4*segs
		for _, r := range want {
			for s := 0; s < segs; s++ {
				end, start := u16(ends+2*s), u16(starts+2*s)
				if int(r) > end {
					continue
				}
				if int(r) >= start {
					glyph := 0
					if ro := u16(ranges + 2*s); ro == 0 {
						glyph = (int(r) + u16(deltas+2*s)) & 0xffff
					} else if g := u16(ranges + 2*s + ro + 2*(int(r)-start)); g != 0 {
						glyph = (g + u16(deltas+2*s)) & 0xffff
					}
					got[r] = glyph != 0
				}
				break
			}
		}
	case 12:
		groups := u32(sub + 12)
		for _, r := range want {
			for g := 0; g < groups; g++ {
				rec := sub + 16 + 12*g
				if start, end := u32(rec), u32(rec+4); int(r) >= start && int(r) <= end {
					got[r] = u32(rec+8)+int(r)-start != 0
					break
				}
			}
		}
	default:
		return nil, errors.New("unsupported cmap subtable format")
	}
	return got, nil
}
