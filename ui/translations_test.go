package ui

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/assets"
)

// stateErrCodes is every code that can reach State.Err.
func stateErrCodes() []string {
	codes := []string{
		// provider.Code*
		provider.CodeBadRequest, provider.CodeUnauthorized, provider.CodeNotFound, provider.CodeWrongCode,
		provider.CodeCodeExpired, provider.CodeTooMany, provider.CodeSessionExpired, provider.CodeWrongState,
		provider.CodeWeakPassword, provider.CodeWrongPassword, provider.CodeBiometricFailed,
		provider.CodeUnavailable, provider.CodeTimeout, provider.CodeCanceled, provider.CodeInternal,
		// session.Err*
		session.ErrCodeFormat, session.ErrResendTooSoon, session.ErrNoResends, session.ErrPasswordRule,
		session.ErrPasswordConfirm, session.ErrNoFrames, session.ErrStoreFailed,
		session.ErrNoFace, session.ErrManyFaces, session.ErrChallengeFailed, session.ErrNoCamera,
		session.ErrCameraGone, session.ErrCameraBusy, session.ErrCameraFormat,
		// biometric retry reasons
		sim.ReasonNoMatch, provider.DecisionRetry,
		// the UI's own
		"no_qr", "unknown",
	}
	return append(codes, kiosk.TicketCodes()...)
}

var reasons = []session.Reason{
	session.ReasonCancelled, session.ReasonIdle, session.ReasonSessionTimeout, session.ReasonCodeAttempts,
	session.ReasonBiometricFailed, session.ReasonProviderRefused, session.ReasonProviderExpired,
}

func TestTranslationsComplete(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	var need []string
	for _, c := range stateErrCodes() {
		need = append(need, "err."+c)
	}
	for _, r := range reasons {
		need = append(need, "reason."+string(r))
	}
	for _, c := range kiosk.Challenges {
		need = append(need, "challenge."+c)
	}
	for op := session.OpCreate; op <= session.OpStore; op++ {
		need = append(need, "busy."+op.String())
	}
	placeholder := regexp.MustCompile(`\{\{\.[A-Za-z]+\}\}`)
	for _, l := range languages {
		msgs := cat.msgs[l]
		for _, id := range need {
			if strings.TrimSpace(msgs[id]) == "" {
				t.Errorf("%s: no message %q", l, id)
			}
		}
		// Same ids everywhere, same placeholders in each message.
		for id, kkText := range cat.msgs["kk"] {
			text, ok := msgs[id]
			if !ok || strings.TrimSpace(text) == "" {
				t.Errorf("%s: missing %q", l, id)
				continue
			}
			want, got := placeholder.FindAllString(kkText, -1), placeholder.FindAllString(text, -1)
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				t.Errorf("%s: %q has placeholders %v, kk has %v", l, id, got, want)
			}
		}
		for id := range msgs {
			if _, ok := cat.msgs["kk"][id]; !ok {
				t.Errorf("%s: %q is not in kk", l, id)
			}
		}
	}
}

// TestTranslationsTerms checks the script and the procedure's terms: Kazakh
// uses its own letters and ЭЦҚ, Russian uses ЭЦП.
func TestTranslationsTerms(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	all := func(l string) string {
		var b strings.Builder
		for _, v := range cat.msgs[l] {
			b.WriteString(v + "\n")
		}
		return b.String()
	}
	kk, ru := all("kk"), all("ru")
	for _, r := range "әғқңөұүі" { // һ is rare in native words
		if !strings.ContainsRune(kk, r) {
			t.Errorf("kk never uses %c", r)
		}
	}
	for _, term := range []string{"ЭЦҚ", "1414", "Жария шартқа қосылу туралы өтініш"} {
		if !strings.Contains(kk, term) {
			t.Errorf("kk lacks the term %q", term)
		}
	}
	if strings.Contains(kk, "ЭЦП") {
		t.Error("kk uses the Russian ЭЦП")
	}
	if !strings.Contains(ru, "ЭЦП") || strings.Contains(ru, "ЭЦҚ") {
		t.Error("ru must say ЭЦП")
	}
	// Latin look-alikes inside Kazakh words (i for і, a for а …) are a
	// classic typing slip.
	mixed := regexp.MustCompile(`\p{Cyrillic}[a-zA-Z]|[a-zA-Z]\p{Cyrillic}`)
	for _, l := range []string{"kk", "ru"} {
		for id, v := range cat.msgs[l] {
			if m := mixed.FindString(v); m != "" {
				t.Errorf("%s %q mixes scripts: %q", l, id, m)
			}
		}
	}
}

// TestTranslationsLoadInFyneLang checks the files stay valid for
// fyne.io/fyne/v2/lang (go-i18n's format: e.g. no reserved keys).
func TestTranslationsLoadInFyneLang(t *testing.T) {
	for _, l := range languages {
		b, err := assets.Translation(l)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: not a flat JSON object: %v", l, err)
		}
		if err := lang.AddTranslationsForLocale(b, fyne.Locale(l)); err != nil {
			t.Errorf("%s: fyne lang rejects the file: %v", l, err)
		}
	}
}

func TestLocFallbacks(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	en := cat.in("en")
	if got := en.T("header.step", "N", 3, "Total", 8); got != "Step 3 of 8" {
		t.Errorf("header.step = %q", got)
	}
	if got := en.Err("no_such_code"); got != en.T("err.unknown") {
		t.Errorf("unknown code = %q", got)
	}
	if got := en.Err(""); got != "" {
		t.Errorf("no code = %q", got)
	}
	if got := cat.in("xx").T("welcome.begin"); got != cat.in("kk").T("welcome.begin") {
		t.Errorf("unknown language should fall back to kk, got %q", got)
	}
}
