package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/assets"
)

// consentScreen shows a legal text (the privacy policy, step 4, or the EDS
// issuance rules, step 7: kind is provider.ConsentPrivacy or
// provider.ConsentEDSRules, which are also the assets' text names) and
// records "I agree" with the SHA-256 of exactly the bytes shown.
type consentScreen struct {
	obj    fyne.CanvasObject
	errLbl *widget.Label
	l      loc
	gate   *readGate
	scroll fyne.CanvasObject
}

func newConsentScreen(u *UI, s session.State, l loc, kind string) *consentScreen {
	cs := &consentScreen{errLbl: errorLabel(), l: l}
	text, err := assets.Text(s.Lang, kind)
	var sum string
	if err == nil {
		sum, err = assets.TextSHA256(s.Lang, kind)
	}
	if err != nil {
		u.log.Error().Err(err).Str("text", kind).Msg("legal text")
		cs.obj = container.NewVBox(title(l.T(kind+".title")), para(l.T("consent.error")))
		return cs
	}
	// The text's own first heading is the screen's title, so it is not
	// shown twice; every other line is in the scrolled body.
	heading, rest := splitTitle(string(text))
	if heading == "" {
		heading = l.T(kind + ".title")
	}
	body := widget.NewRichTextFromMarkdown(rest)
	body.Wrapping = fyne.TextWrapWord
	agree := button(l.T("consent.agree"), true, func() {
		u.k.Dispatch(session.ConsentAccepted{Kind: kind, TextSHA256: sum})
	})
	agree.Disable()
	readHint := para(l.T("consent.read_to_end"))
	readHint.Importance = widget.WarningImportance
	cs.gate, cs.scroll = newReadGate(body, u.touch, func() { // scrolling is activity
		agree.Enable()
		readHint.Hide()
	})
	top := container.NewVBox(withDraftNotice(l, title(heading)), para(l.T(kind+".hint")))
	bottom := container.NewVBox(cs.errLbl, container.NewBorder(nil, nil, nil, sized(agree, 360, 76), readHint))
	cs.obj = container.NewBorder(top, bottom, nil, nil, cs.scroll)
	cs.update(s)
	return cs
}

func (cs *consentScreen) object() fyne.CanvasObject { return cs.obj }
func (cs *consentScreen) update(s session.State)    { setText(cs.errLbl, cs.l.Err(s.Err)) }
func (cs *consentScreen) stop()                     {}

// splitTitle takes the first level-1 heading ("# …") out of a markdown text:
// it returns the heading's words and the text without that line. A text
// without one comes back whole with an empty heading.
func splitTitle(md string) (heading, rest string) {
	start := 0
	for start < len(md) {
		end := strings.IndexByte(md[start:], '\n')
		if end < 0 {
			end = len(md)
		} else {
			end += start
		}
		line := strings.TrimRight(md[start:end], "\r")
		if h, ok := strings.CutPrefix(line, "# "); ok {
			next := min(end+1, len(md))
			return strings.TrimSpace(h), md[:start] + md[next:]
		}
		start = end + 1
	}
	return "", md
}

// withDraftNotice puts the legal texts' draft notice (assets.TextsAreDrafts)
// beside a legal screen's title: said where the text is read, never inside
// the text consented to.
func withDraftNotice(l loc, heading fyne.CanvasObject) fyne.CanvasObject {
	if !assets.TextsAreDrafts {
		return heading
	}
	n := widget.NewLabel(l.T("legal.draft"))
	n.Importance = widget.WarningImportance
	n.SizeName = theme.SizeNameCaptionText
	n.Wrapping = fyne.TextWrapWord
	return container.NewVBox(heading, n)
}
