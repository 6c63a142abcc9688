package ui

import (
	"encoding/json"
	"fmt"
	"strings"

	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/assets"
)

// Languages the kiosk speaks, in the order of the language buttons; kk is
// the default.
var languages = []string{"kk", "ru", "en"}

// catalog holds the UI's messages, parsed from assets/translations/<lang>.json.
//
// Why not lang.L directly: fyne.io/fyne/v2/lang (v2.8.1) keeps one
// process-wide localizer chosen from the OS locale (updateLocalizer asks
// go-locale, and the only setter, setupLang, is unexported), so it cannot
// follow each session's language at runtime without rewriting the process
// environment. The files stay in lang's go-i18n JSON format (a test loads them
// with lang.AddTranslationsForLocale), and this small lookup reads the same
// files per language.
type catalog struct {
	msgs map[string]map[string]string // lang → id → text
}

func loadCatalog() (*catalog, error) {
	c := &catalog{msgs: make(map[string]map[string]string, len(languages))}
	for _, l := range languages {
		b, err := assets.Translation(l)
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("ui: translations %s: %w", l, err)
		}
		c.msgs[l] = m
	}
	return c, nil
}

// in returns the lookup for one language (kk when lang is unknown).
func (c *catalog) in(lang string) loc {
	m, ok := c.msgs[lang]
	if !ok {
		lang, m = "kk", c.msgs["kk"]
	}
	return loc{lang: lang, msgs: m, fallback: c.msgs["kk"]}
}

// loc looks messages up in one language.
type loc struct {
	lang     string
	msgs     map[string]string
	fallback map[string]string
}

// T returns message id with {{.Name}} placeholders filled from kv pairs
// ("N", 3, …). A missing id falls back to Kazakh, then to the id itself, so
// a gap shows up on screen instead of crashing the kiosk.
func (l loc) T(id string, kv ...any) string {
	s, ok := l.msgs[id]
	if !ok {
		if s, ok = l.fallback[id]; !ok {
			s = id
		}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		s = strings.ReplaceAll(s, "{{."+fmt.Sprint(kv[i])+"}}", fmt.Sprint(kv[i+1]))
	}
	return s
}

// has reports whether id exists in this language (for tests and fallbacks).
func (l loc) has(id string) bool { _, ok := l.msgs[id]; return ok }

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
