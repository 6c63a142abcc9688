// Package assets holds the files the kiosk embeds into its binary: the Noto Sans
// fonts (which draw the Kazakh letters correctly, unlike Fyne's bundled font) and
// the legal texts the subscriber reads and consents to, in Kazakh, Russian and
// English.
//
// Legal texts live under texts/{lang}/{name}.md. Their exact bytes are what the
// subscriber is shown, and TextSHA256 of those bytes is what the consent record
// carries, so a text must never be normalised or rewritten on the way to the
// screen or the PDF. See README.md for how the legal department replaces a text.
package assets

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
)

// files is read-only data compiled into the binary.
//
//go:embed fonts/NotoSans-Regular.ttf fonts/NotoSans-Bold.ttf fonts/LICENSE-OFL.txt
//go:embed texts/kk/*.md texts/ru/*.md texts/en/*.md
var files embed.FS

// Names of the legal texts, for Text and TextSHA256.
const (
	Privacy     = "privacy"     // privacy policy of "Biometric ID" LLP (step 4)
	EDSRules    = "eds_rules"   // rules for issuing the EDS registration certificate (step 7)
	Application = "application" // accession clause of the Application for joining the public contract
)

// Languages of the legal texts.
const (
	Kazakh  = "kk"
	Russian = "ru"
	English = "en"
)

// ErrUnknownLanguage and ErrUnknownText are wrapped by the errors of Text and
// TextSHA256; test for them with errors.Is.
var (
	ErrUnknownLanguage = errors.New("unknown language")
	ErrUnknownText     = errors.New("unknown text")
)

// Languages returns the languages every legal text exists in, Kazakh first (the default).
func Languages() []string { return []string{Kazakh, Russian, English} }

// TextNames returns the names of the legal texts.
func TextNames() []string { return []string{Privacy, EDSRules, Application} }

// TextsAreDrafts says the legal texts are still templates awaiting the
// legal department's approved wording (README.md). The UI then says so
// beside each text, never inside it: the bytes a subscriber consents to
// (and whose hash the evidence keeps) are the text alone. Set it to false
// when the approved texts land.
const TextsAreDrafts = true

// FontRegular returns Noto Sans Regular (TrueType), a fresh copy on each call.
func FontRegular() []byte { return mustRead("fonts/NotoSans-Regular.ttf") }

// FontBold returns Noto Sans Bold (TrueType), a fresh copy on each call.
func FontBold() []byte { return mustRead("fonts/NotoSans-Bold.ttf") }

// FontLicense returns the SIL Open Font License 1.1 text and copyright notice of
// the fonts, which the OFL requires to travel with them (e.g. for an About screen).
func FontLicense() []byte { return mustRead("fonts/LICENSE-OFL.txt") }

// Text returns the exact bytes (UTF-8, Markdown subset) of legal text name in
// language lang, a fresh copy on each call. lang is one of kk, ru, en; name is
// one of privacy, eds_rules, application.
func Text(lang, name string) ([]byte, error) {
	p, err := textPath(lang, name)
	if err != nil {
		return nil, err
	}
	b, err := files.ReadFile(p)
	if err != nil {
		// Unreachable while the test suite passes: every pair is embedded.
		return nil, fmt.Errorf("assets: text %s/%s is not embedded: %w", lang, name, err)
	}
	return b, nil
}

// TextSHA256 returns the lowercase hex SHA-256 of the exact bytes Text returns.
// The consent record carries it to prove which wording the subscriber accepted.
func TextSHA256(lang, name string) (string, error) {
	b, err := Text(lang, name)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func textPath(lang, name string) (string, error) {
	switch lang {
	case Kazakh, Russian, English:
	default:
		return "", fmt.Errorf("assets: %w %q (want kk, ru or en)", ErrUnknownLanguage, lang)
	}
	switch name {
	case Privacy, EDSRules, Application:
	default:
		return "", fmt.Errorf("assets: %w %q (want privacy, eds_rules or application)", ErrUnknownText, name)
	}
	return path.Join("texts", lang, name+".md"), nil
}

func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		// The go:embed directive above guarantees the file; reaching this is a build defect.
		panic("assets: " + err.Error())
	}
	return b
}
