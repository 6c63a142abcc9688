package ui

import (
	"strings"
	"testing"

	"almatel.kz/signkiosk/assets"
)

func TestSplitTitle(t *testing.T) {
	cases := []struct{ in, heading, rest string }{
		{"NOTE\n\n# Title\n\nBody\n", "Title", "NOTE\n\n\nBody\n"},
		{"# Title\r\nBody", "Title", "Body"},
		{"## Section\n\nBody", "", "## Section\n\nBody"},
		{"#Hashtag\n# Real", "Real", "#Hashtag\n"},
		{"# Only", "Only", ""},
		{"", "", ""},
	}
	for _, c := range cases {
		h, r := splitTitle(c.in)
		if h != c.heading || r != c.rest {
			t.Errorf("splitTitle(%q) = %q, %q; want %q, %q", c.in, h, r, c.heading, c.rest)
		}
	}
}

// Every legal text has its title as a heading, and the consent screen shows
// it once: as the screen's title, not again at the top of the text.
func TestLegalTextsTitleOnce(t *testing.T) {
	for _, l := range languages {
		for _, kind := range []string{"privacy", "eds_rules"} {
			text, err := assets.Text(l, kind)
			if err != nil {
				t.Fatal(err)
			}
			h, rest := splitTitle(string(text))
			if h == "" {
				t.Errorf("%s/%s: no \"# title\" line", l, kind)
				continue
			}
			if strings.Contains(rest, "# "+h) {
				t.Errorf("%s/%s: title %q still in the body", l, kind, h)
			}
			if len(rest) < len(text)/2 {
				t.Errorf("%s/%s: the body lost more than the title", l, kind)
			}
		}
	}
}
