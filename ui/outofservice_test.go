package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestOutOfServiceSaysItInEveryLanguage(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	if err := OutOfService(w, "oos.database"); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, o := range walk(nil, w.Content()) {
		switch x := o.(type) {
		case *widget.Label:
			texts = append(texts, x.Text)
		case *widget.RichText:
			texts = append(texts, x.String())
		}
	}
	all := strings.Join(texts, " | ")
	for _, want := range []string{"зақымдалған", "повреждена", "damaged"} {
		if !strings.Contains(all, want) {
			t.Errorf("out-of-service screen lacks %q: %s", want, all)
		}
	}
}
