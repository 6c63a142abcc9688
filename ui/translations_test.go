package ui

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/lang"

	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/camera/face"
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
		session.ErrCameraVirtual, session.ErrCameraUnlisted,
		// biometric retry reasons: the provider's judgement of the frames and the moves
		sim.ReasonNoMatch, provider.DecisionRetry, sim.ReasonNoFace, sim.ReasonManyFaces, sim.ReasonPoorQuality,
		sim.ReasonNotLive, provider.ReasonWrongOrder, provider.ReasonMovesNotSeen,
		// the provider's refusals of a submission that end the session (staff see the line first)
		provider.CodeSignatureInvalid, provider.CodeDeviceNotEnrolled,
		// the UI's own
		"no_qr", "unknown",
	}
	codes = append(codes, session.ChallengeRefusals()...)
	codes = append(codes, session.StoreCodes()...)
	codes = append(codes, session.StorageCodes()...)
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
	for _, m := range []string{face.ChallengeTurnLeft, face.ChallengeTurnRight, face.ChallengeComeCloser} {
		need = append(need, "move."+m)
	}
	need = append(need, "bio.preparing", "bio.get_ready", "bio.move_n", "bio.move_done", "bio.all_done")
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

// TestTranslationsThroughFyneLang: every message of every language comes
// out of fyne's lang bundle itself (not a fallback), placeholders filled by
// its templates, whatever the OS locale is. Each locale runs in a child
// process, since lang picks its localizer once per process from the
// environment; no lookup falls back, and fyne's own strings keep their
// translation (ru: "Cancel").
func TestTranslationsThroughFyneLang(t *testing.T) {
	if os.Getenv("SIGNKIOSK_LANG_CHILD") == "1" {
		checkThroughFyneLang(t)
		return
	}
	for _, env := range []string{"", "LANG=C", "LANG=ru_RU.UTF-8", "LANG=kk_KZ.UTF-8", "LANG=en_US.UTF-8",
		"LANG=de_DE.UTF-8", "LANG=zh_CN.UTF-8", "LANGUAGE=sr_RS:uk", "LC_ALL=pt_BR.UTF-8",
		"LANGUAGE=pt_BR:en", "LANGUAGE=en_US:ru"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestTranslationsThroughFyneLang$", "-test.count=1", "-test.v")
		cmd.Env = []string{"SIGNKIOSK_LANG_CHILD=1", "HOME=" + t.TempDir()}
		if env != "" {
			cmd.Env = append(cmd.Env, env)
		}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS") {
			t.Errorf("OS locale %q: %v\n%s", env, err, out)
		}
		// A lookup that only found the message through go-i18n's English
		// fallback would still read right, but fyne logs every such call
		// (register's probe may log while it finds the right tag).
		fellBack := false
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "not found in language") && !strings.Contains(line, `"`+probeKey+`"`) {
				fellBack = true
			}
		}
		if fellBack {
			t.Errorf("OS locale %q: fyne lang fell back:\n%.2000s", env, out)
		}
	}
}

func checkThroughFyneLang(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	const miss = "\x00"
	for _, l := range languages {
		for id, text := range cat.msgs[l] {
			got := lang.LocalizeKey(l+"."+id, miss)
			if got == miss {
				t.Errorf("%s %q: not in fyne's lang", l, id)
			} else if !strings.Contains(text, "{{") && got != text {
				t.Errorf("%s %q: lang says %q, the file %q", l, id, got, text)
			}
		}
	}
	if got := cat.in("ru").T("header.step", "N", 3, "Total", 8); got != "Шаг 3 из 8" {
		t.Errorf("ru header.step = %q", got)
	}
	if strings.HasPrefix(os.Getenv("LANG"), "ru") {
		if got := lang.L("Cancel"); got != "Отмена" {
			t.Errorf("fyne's own Cancel under ru = %q", got)
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

// BenchmarkLookup is one message through fyne's lang, plain and with
// placeholders (a screen asks for 20–40).
func BenchmarkLookup(b *testing.B) {
	cat, err := loadCatalog()
	if err != nil {
		b.Fatal(err)
	}
	l := cat.in("ru")
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			_ = l.T("welcome.begin")
		}
	})
	b.Run("placeholders", func(b *testing.B) {
		for b.Loop() {
			_ = l.T("header.step", "N", 3, "Total", 8)
		}
	})
}
