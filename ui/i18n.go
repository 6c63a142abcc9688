package ui

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"github.com/jeandeaual/go-locale"

	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/assets"
)

// Languages the kiosk speaks, in the order of the language buttons; kk is
// the default.
var languages = []string{"kk", "ru", "en"}

// catalog holds the UI's messages: assets/translations/<lang>.json, read
// into fyne's lang bundle and looked up through lang.LocalizeKey.
//
// fyne.io/fyne/v2/lang (v2.8.1) has one process-wide localizer, chosen from
// the OS locale, with no public way to switch it; the kiosk must speak kk, ru
// or en as each subscriber chooses, on every screen. So each file's messages
// go into the bundle under "<lang>.<id>" ("ru.welcome.begin"), all of them
// under the language the localizer uses (register), and a lookup names its
// language in the key. lang does the storage, the go-i18n templates
// ({{.N}}) and the format checks; catalog only knows which ids exist.
type catalog struct {
	msgs map[string]map[string]string // lang → id → text, as in the files
}

// registration reads the catalogues and registers them with fyne's lang,
// once: lang's state is process-wide and its setters are not safe to call
// while other goroutines translate, so it happens before any UI exists. It
// returns the catalogues (lang → id → text, read-only from then on).
var registration = sync.OnceValues(func() (map[string]map[string]string, error) {
	msgs := make(map[string]map[string]string, len(languages))
	merged := map[string]string{}
	for _, l := range languages {
		m, err := readTranslation(l)
		if err != nil {
			return nil, err
		}
		msgs[l] = m
		for id, text := range m {
			merged[l+"."+id] = text
		}
	}
	b, err := json.Marshal(merged)
	if err != nil {
		return nil, fmt.Errorf("ui: translations: %w", err)
	}
	if err := register(b, probeKey); err != nil {
		return nil, err
	}
	return msgs, nil
})

// probeKey is a message every catalogue has; it proves the lookups resolve.
const probeKey = "kk.lang.kk"

// register adds messages (namespaced JSON) to fyne's lang so that the
// localizer it picked from the OS locale finds them. Which tag that
// localizer reads depends on the OS locales and on the languages fyne ships
// (kk_KZ → kk, ru_RU → ru, pt_BR → pt-BR, none or C → en), so the messages
// go first under each OS locale's base language, then, if the probe does
// not resolve, under the full OS locales. Adding them to a tag fyne has
// keeps fyne's own translations beside them. The last resort is English,
// go-i18n's fallback: lookups then read right but fyne logs each one (no
// locale tested needs it; TestTranslationsThroughFyneLang tries several).
func register(msgs []byte, probe string) error {
	locs, _ := locale.GetLocales() // none or unreadable: the localizer uses English
	// English is go-i18n's fallback: with the messages under "en" the probe
	// would resolve even when the localizer reads another tag, so "en" comes
	// first only when the OS speaks nothing else.
	var bases []string
	for _, l := range locs {
		if b, _, _ := strings.Cut(l, "-"); b != "" && b != "en" && !slices.Contains(bases, b) {
			bases = append(bases, b)
		}
	}
	if len(bases) == 0 {
		bases = []string{"en"}
	}
	for _, tags := range [][]string{bases, locs, {"en"}} {
		for _, t := range tags {
			if err := lang.AddTranslationsForLocale(msgs, fyne.Locale(t)); err != nil {
				return fmt.Errorf("ui: translations for %s: %w", t, err)
			}
		}
		if resolves(probe) {
			return nil
		}
	}
	return fmt.Errorf("ui: fyne lang does not find the translations under OS locales %q", locs)
}

// resolves reports whether lang finds key at all (not only its fallback).
func resolves(key string) bool {
	const miss = "\x00missing"
	return lang.LocalizeKey(key, miss) != miss
}

func readTranslation(l string) (map[string]string, error) {
	b, err := assets.Translation(l)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("ui: translations %s: %w", l, err)
	}
	return m, nil
}

func loadCatalog() (*catalog, error) {
	msgs, err := registration()
	if err != nil {
		return nil, err
	}
	return &catalog{msgs: msgs}, nil
}

// in returns the lookup for one language (kk when lang is unknown).
func (c *catalog) in(l string) loc {
	if _, ok := c.msgs[l]; !ok {
		l = "kk"
	}
	return loc{lang: l, c: c}
}

// loc looks messages up in one language.
type loc struct {
	lang string
	c    *catalog
}

// T returns message id with {{.Name}} placeholders filled from kv pairs
// ("N", 3, …). A missing id falls back to Kazakh, then to the id itself, so
// a gap shows up on screen instead of crashing the kiosk.
func (l loc) T(id string, kv ...any) string {
	key := l.lang + "." + id
	if !l.has(id) {
		if _, ok := l.c.msgs["kk"][id]; !ok {
			return id
		}
		key = "kk." + id
	}
	var data map[string]any
	if len(kv) > 1 {
		data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			data[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	return lang.LocalizeKey(key, id, data)
}

// has reports whether id exists in this language (for tests and fallbacks).
func (l loc) has(id string) bool { _, ok := l.c.msgs[l.lang][id]; return ok }

// Err is the human message for an error code from State.Err.
func (l loc) Err(code string) string {
	if code == "" {
		return ""
	}
	if l.has("err." + code) {
		return l.T("err." + code)
	}
	return l.T("err.unknown")
}

// Reason is the human message for why a session ended.
func (l loc) Reason(r session.Reason) string {
	if l.has("reason." + string(r)) {
		return l.T("reason." + string(r))
	}
	return l.T("ended.title")
}

// Busy is the waiting message for an operation in flight.
func (l loc) Busy(op session.Op) string {
	if l.has("busy." + op.String()) {
		return l.T("busy." + op.String())
	}
	return l.T("busy.wait")
}
