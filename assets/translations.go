package assets

import (
	"embed"
	"fmt"
)

// translationFiles are the UI's message catalogues: one flat JSON object
// (message id → text) per language, the go-i18n format that
// fyne.io/fyne/v2/lang reads, named <lang>.json.
//
//go:embed translations/*.json
var translationFiles embed.FS

// TranslationsDir is the folder inside Translations that holds <lang>.json.
const TranslationsDir = "translations"

// Translations returns the embedded catalogues, e.g. for
// lang.AddTranslationsFS(assets.Translations(), assets.TranslationsDir).
func Translations() embed.FS { return translationFiles }

// Translation returns the catalogue of lang (kk, ru or en) as JSON.
func Translation(lang string) ([]byte, error) {
	switch lang {
	case Kazakh, Russian, English:
	default:
		return nil, fmt.Errorf("assets: translation: %w %q (want kk, ru or en)", ErrUnknownLanguage, lang)
	}
	b, err := translationFiles.ReadFile(TranslationsDir + "/" + lang + ".json")
	if err != nil {
		return nil, fmt.Errorf("assets: translation %s is not embedded: %w", lang, err)
	}
	return b, nil
}
