package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestOutOfServiceSaysItInEveryLanguage(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	if err := OutOfService(w, "oos.database"); err != nil {
		t.Fatal(err)
	}
	all := windowTexts(w)
	for _, want := range []string{"зақымдалған", "повреждена", "damaged"} {
		if !strings.Contains(all, want) {
			t.Errorf("out-of-service screen lacks %q: %s", want, all)
		}
	}
}

// windowTexts is every label's and rich text's text in w, joined by " | ".
func windowTexts(w fyne.Window) string {
	var texts []string
	for _, o := range walk(nil, w.Content()) {
		switch x := o.(type) {
		case *widget.Label:
			texts = append(texts, x.Text)
		case *widget.RichText:
			texts = append(texts, x.String())
		}
	}
	return strings.Join(texts, " | ")
}
