package assets

import (
	"embed"
	"fmt"
)

// translationFiles are the UI's message catalogues: one flat JSON object
// (message id → text) per language, the go-i18n format that
// fyne.io/fyne/v2/lang reads, named translations/<lang>.json (the ui package
// loads them into lang).
//
//go:embed translations/*.json
var translationFiles embed.FS

// Translation returns the catalogue of lang (kk, ru or en) as JSON.
func Translation(lang string) ([]byte, error) {
	switch lang {
	case Kazakh, Russian, English:
	default:
		return nil, fmt.Errorf("assets: translation: %w %q (want kk, ru or en)", ErrUnknownLanguage, lang)
	}
	b, err := translationFiles.ReadFile("translations/" + lang + ".json")
	if err != nil {
		return nil, fmt.Errorf("assets: translation %s is not embedded: %w", lang, err)
	}
	return b, nil
}
