package session

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/ticket"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func testTicket() ticket.Payload {
	return ticket.Payload{V: 1, TID: "t-1", Office: "ALM-001", Staff: "S-1", Order: ticket.DemoOrder()}
}

// run is a tiny driver: it applies events at a clock that each step can move.
type run struct {
	t   *testing.T
	m   Machine
	s   State
	now time.Time
	eff []Effect
}

func newRun(t *testing.T) *run {
	return &run{t: t, m: Machine{Limits: DefaultLimits()}, now: t0}
}

func (r *run) do(ev Event) *run {
	r.t.Helper()
	before := r.s.clone()
	r.s, r.eff = r.m.Next(r.s, ev, r.now)
	if !reflect.DeepEqual(before.Marks, r.s.Marks) && len(r.s.Marks) < len(before.Marks) && r.s.Step != StepEnded && r.s.Step != StepIdle {
		r.t.Fatalf("marks lost")
	}
	return r
}

func (r *run) after(d time.Duration) *run { r.now = r.now.Add(d); return r }

func (r *run) want(step Step) *run {
	r.t.Helper()
	if r.s.Step != step {
		r.t.Fatalf("step = %v, want %v (err %q, reason %q)", r.s.Step, step, r.s.Err, r.s.Reason)
	}
	return r
}

func (r *run) wantEffect(kind Effect) Effect {
	r.t.Helper()
	for _, e := range r.eff {
		if reflect.TypeOf(e) == reflect.TypeOf(kind) {
			return e
		}
	}
	r.t.Fatalf("no %T among effects %#v", kind, r.eff)
	return nil
}

func (r *run) gen() uint64 { return r.s.Gen }

// Steps to reach each screen, answering every call with success.
func (r *run) toWelcome() *run { return r.do(TicketAccepted{Ticket: testTicket()}).want(StepWelcome) }
func (r *run) toCode() *run {
	r.toWelcome().do(Begin{})
	r.wantEffect(DoCreate{})
	return r.do(Created{Gen: r.gen(), Resp: provider.CreateSessionResponse{SessionID: "ps-1"}}).want(StepCode)
}
func (r *run) toReview() *run {
	r.toCode().do(CodeEntered{Code: "123456"})
	r.wantEffect(DoCode{})
	return r.do(CodeAccepted{Gen: r.gen(), Doc: provider.IDDocument{IIN: "900101300123"}}).want(StepReview)
}
func (r *run) toPrivacy() *run { return r.toReview().do(ReviewAccepted{}).want(StepPrivacy) }
func (r *run) toBiometrics() *run {
	r.toPrivacy().do(ConsentAccepted{Kind: provider.ConsentPrivacy, TextSHA256: sha})
	r.wantEffect(DoConsent{})
	return r.do(ConsentRecorded{Gen: r.gen(), Kind: provider.ConsentPrivacy}).want(StepBiometrics)
}
func (r *run) toEDSRules() *run {
	r.toBiometrics().do(CaptureStart{})
	r.wantEffect(DoBiometrics{})
	return r.do(BiometricJudged{Gen: r.gen(), Moves: []string{"turn_left"}, Resp: provider.BiometricsResponse{Decision: provider.DecisionPass, AttemptsLeft: 4}}).want(StepEDSRules)
}
func (r *run) toPassword() *run {
	r.toEDSRules().do(ConsentAccepted{Kind: provider.ConsentEDSRules, TextSHA256: sha})
	r.wantEffect(DoConsent{})
	return r.do(ConsentRecorded{Gen: r.gen(), Kind: provider.ConsentEDSRules}).want(StepPassword)
}
func (r *run) toSigning() *run {
	r.toPassword().do(PasswordEntered{Password: "Secret#12", Confirm: "Secret#12"}).want(StepSigning)
	r.wantEffect(DoCertificate{})
	return r
}
func (r *run) toDone() *run {
	r.toSigning().do(CertificateIssued{Gen: r.gen(), Resp: provider.CertificateResponse{Certificate: "PEM"}})
	r.wantEffect(DoSign{})
	r.do(SignedDoc{Gen: r.gen(), Sig: Signature{DocumentSHA256: sha, CMS: []byte("bes")}}).want(StepSigning)
	r.toSealed()
	return r.do(Stored{Gen: r.gen(), Receipt: Receipt{PackageID: "p-1"}}).want(StepDone)
}

// every step reachable in a session, with the operation it waits on when busy.
var stepsToReach = []struct {
	step Step
	to   func(*run) *run
}{
	{StepWelcome, (*run).toWelcome},
	{StepCode, (*run).toCode},
	{StepReview, (*run).toReview},
	{StepPrivacy, (*run).toPrivacy},
	{StepBiometrics, (*run).toBiometrics},
	{StepEDSRules, (*run).toEDSRules},
	{StepPassword, (*run).toPassword},
	{StepSigning, (*run).toSigning},
}

func TestHappyPath(t *testing.T) {
	r := newRun(t).toDone()
	if r.s.HasPassword() || r.s.Receipt.PackageID != "p-1" {
		t.Fatal("password kept after signing")
	}
	var got []Step
	for _, m := range r.s.Marks {
		got = append(got, m.Step)
	}
	want := []Step{StepWelcome, StepCode, StepReview, StepPrivacy, StepBiometrics, StepEDSRules, StepPassword, StepSigning, StepDone}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("marks %v, want %v", got, want)
	}
	if len(r.s.Consents) != 2 || r.s.Consents[0].Lang != "kk" {
		t.Fatalf("consents %+v", r.s.Consents)
	}
	r.do(Finish{}).want(StepIdle)
	r.wantEffect(DoWipe{})
}

func TestDoneReturnsToIdleAfterHold(t *testing.T) {
	r := newRun(t).toDone()
	r.after(59 * time.Second).do(Tick{}).want(StepDone)
	r.after(time.Second).do(Tick{}).want(StepIdle)
	if r.s.Signed != nil || r.s.Doc != nil || r.s.Ticket.TID != "" {
		t.Fatal("idle state holds session data")
	}
}

// assertWiped checks that an ended state holds nothing personal.
func assertWiped(t *testing.T, s State) {
	t.Helper()
	if s.Doc != nil || s.Ticket.Order.Subscriber.IIN != "" || s.HasPassword() || s.Cert != nil ||
		s.Signed != nil || s.ProviderSession != "" || len(s.Consents) != 0 || len(s.Biometrics) != 0 {
		t.Fatalf("ended state still holds session data: %+v", s)
	}
}

func TestCancelAtEveryStep(t *testing.T) {
	for _, tc := range stepsToReach {
		t.Run(tc.step.String(), func(t *testing.T) {
			r := tc.to(newRun(t))
			r.do(Cancel{}).want(StepEnded)
			if r.s.Reason != ReasonCancelled {
				t.Fatalf("reason %q", r.s.Reason)
			}
			assertWiped(t, r.s)
			a := r.wantEffect(DoAudit{}).(DoAudit)
			if a.Snapshot.Reason != ReasonCancelled {
				t.Fatalf("audit reason %q", a.Snapshot.Reason)
			}
			r.wantEffect(DoWipe{})
			r.after(10 * time.Second).do(Tick{}).want(StepIdle)
		})
	}
}

func TestIdleTimeoutAtEveryStep(t *testing.T) {
	for _, tc := range stepsToReach {
		t.Run(tc.step.String(), func(t *testing.T) {
			r := tc.to(newRun(t))
			if r.s.Busy != OpNone {
				// Waiting on the provider is not idling.
				r.after(5 * time.Minute).do(Tick{}).want(tc.step)
				return
			}
			r.after(89 * time.Second).do(Tick{})
			if r.s.IdleAsked {
				t.Fatal("asked too early")
			}
			r.after(time.Second).do(Tick{}).want(tc.step)
			if !r.s.IdleAsked {
				t.Fatal("not asked at 90 s")
			}
			if want := r.now.Add(15 * time.Second); !r.s.IdleEnds.Equal(want) {
				t.Fatalf("countdown ends %v, want %v (15 s after asking)", r.s.IdleEnds, want)
			}
			r.do(Activity{})
			if r.s.IdleAsked || !r.s.IdleEnds.IsZero() {
				t.Fatal("activity did not dismiss the question and its countdown")
			}
			r.after(104 * time.Second).do(Tick{}).want(tc.step)
			r.after(time.Second).do(Tick{}).want(StepEnded)
			if r.s.Reason != ReasonIdle {
				t.Fatalf("reason %q", r.s.Reason)
			}
			assertWiped(t, r.s)
		})
	}
}

func TestAbsoluteTimeoutEvenWhileBusy(t *testing.T) {
	r := newRun(t).toSigning() // busy: certificate in flight
	for i := 0; i < 30; i++ {
		r.after(time.Minute).do(Tick{})
		if i < 29 {
			r.do(Activity{})
		}
	}
	r.want(StepEnded)
	if r.s.Reason != ReasonSessionTimeout {
		t.Fatalf("reason %q", r.s.Reason)
	}
	// The certificate arriving now is for a session that is gone.
	r.do(CertificateIssued{Gen: r.gen(), Resp: provider.CertificateResponse{}}).want(StepEnded)
	if len(r.eff) != 0 {
		t.Fatalf("late answer produced effects %#v", r.eff)
	}
}

func TestCodeFormatAndAttempts(t *testing.T) {
	r := newRun(t).toCode()
	r.do(CodeEntered{Code: "12a456"}).want(StepCode)
	if r.s.Err != ErrCodeFormat || len(r.eff) != 0 {
		t.Fatalf("err %q eff %v", r.s.Err, r.eff)
	}
	left := func(n int) *int { return &n }
	for i, rest := range []int{2, 1, 0} {
		r.do(CodeEntered{Code: "000000"})
		r.wantEffect(DoCode{})
		r.do(Failed{Gen: r.gen(), Op: OpCode, Code: provider.CodeWrongCode, AttemptsLeft: left(rest)}).want(StepCode)
		if r.s.CodeAttemptsLeft != rest || r.s.Err != provider.CodeWrongCode {
			t.Fatalf("try %d: left %d err %q", i, r.s.CodeAttemptsLeft, r.s.Err)
		}
	}
	// No attempts left: entering does not call the provider.
	r.do(CodeEntered{Code: "123456"})
	if len(r.eff) != 0 || r.s.Err != provider.CodeTooMany {
		t.Fatalf("called with no attempts left: %v %q", r.eff, r.s.Err)
	}
	// Resend: cooldown counted from the first SMS.
	r.do(ResendCode{})
	if r.s.Err != ErrResendTooSoon || len(r.eff) != 0 {
		t.Fatalf("resend before cooldown: %q", r.s.Err)
	}
	r.after(60 * time.Second).do(ResendCode{})
	r.wantEffect(DoResend{})
	r.do(Resent{Gen: r.gen()})
	if r.s.CodeAttemptsLeft != 3 || r.s.ResendsLeft != 1 {
		t.Fatalf("after resend: attempts %d resends %d", r.s.CodeAttemptsLeft, r.s.ResendsLeft)
	}
	r.after(60 * time.Second).do(ResendCode{})
	r.do(Resent{Gen: r.gen()})
	r.after(60 * time.Second).do(ResendCode{})
	if r.s.Err != ErrNoResends {
		t.Fatalf("third resend: %q", r.s.Err)
	}
	for range 3 {
		r.do(CodeEntered{Code: "000000"})
		r.do(Failed{Gen: r.gen(), Op: OpCode, Code: provider.CodeWrongCode})
	}
	r.want(StepEnded)
	if r.s.Reason != ReasonCodeAttempts {
		t.Fatalf("reason %q", r.s.Reason)
	}
}

func TestBiometricAttempts(t *testing.T) {
	r := newRun(t).toBiometrics()
	for i := 4; i >= 1; i-- {
		r.do(CaptureStart{})
		r.wantEffect(DoBiometrics{})
		r.do(BiometricJudged{Gen: r.gen(), Resp: provider.BiometricsResponse{Decision: provider.DecisionRetry, AttemptsLeft: i, Reason: "no_match"}}).want(StepBiometrics)
		if r.s.BioAttemptsLeft != i || r.s.Err != "no_match" {
			t.Fatalf("left %d err %q", r.s.BioAttemptsLeft, r.s.Err)
		}
	}
	r.do(CaptureStart{})
	r.do(BiometricJudged{Gen: r.gen(), Resp: provider.BiometricsResponse{Decision: provider.DecisionRetry, AttemptsLeft: 0}}).want(StepEnded)
	if r.s.Reason != ReasonBiometricFailed {
		t.Fatalf("reason %q", r.s.Reason)
	}
}

// A capture that fails on the kiosk (no face, camera gone, …) never reached
// the provider, and a submission the provider refused (a used or expired
// challenge, frames seen before, …) was no judgement of the face: either
// shows its own message, spends no attempt, and the next CaptureStart tries
// again (with a new challenge).
func TestCaptureFailureSpendsNoAttempt(t *testing.T) {
	for _, code := range append(CaptureCodes(), ChallengeRefusals()...) {
		r := newRun(t).toBiometrics()
		left := r.s.BioAttemptsLeft
		r.do(CaptureStart{})
		r.wantEffect(DoBiometrics{})
		r.do(Failed{Gen: r.gen(), Op: OpBiometrics, Code: code}).want(StepBiometrics)
		if r.s.Err != code || r.s.BioAttemptsLeft != left || r.s.Busy != OpNone {
			t.Fatalf("%s: err %q left %d (was %d) busy %v", code, r.s.Err, r.s.BioAttemptsLeft, left, r.s.Busy)
		}
		r.do(CaptureStart{})
		r.wantEffect(DoBiometrics{})
	}
}

// A bad device signature or certificate needs staff, not another try: the
// session ends (the provider's other refusals of a submission are tried
// again, TestCaptureFailureSpendsNoAttempt).
func TestDeviceRefusalEndsSession(t *testing.T) {
	for _, code := range []string{provider.CodeSignatureInvalid, provider.CodeDeviceNotEnrolled} {
		r := newRun(t).toBiometrics()
		r.do(CaptureStart{})
		r.do(Failed{Gen: r.gen(), Op: OpBiometrics, Code: code}).want(StepEnded)
		if r.s.Reason != ReasonProviderRefused {
			t.Fatalf("%s: reason %q", code, r.s.Reason)
		}
	}
}

// The evidence keeps which challenge each decision answered.
func TestBiometricRecordsChallenge(t *testing.T) {
	r := newRun(t).toBiometrics()
	r.do(CaptureStart{})
	r.do(BiometricJudged{Gen: r.gen(), Moves: []string{"come_closer", "turn_left"}, Resp: provider.BiometricsResponse{
		DecisionID: "d-1", Decision: provider.DecisionRetry, Reason: provider.ReasonWrongOrder, AttemptsLeft: 4, ChallengeID: "c-1"}})
	b := r.s.Biometrics[0]
	if b.ChallengeID != "c-1" || !reflect.DeepEqual(b.Moves, []string{"come_closer", "turn_left"}) || b.Reason != provider.ReasonWrongOrder ||
		r.s.Err != provider.ReasonWrongOrder {
		t.Fatalf("recorded %+v, err %q", b, r.s.Err)
	}
}

func TestPasswordRules(t *testing.T) {
	cases := []struct {
		pw, confirm, err string
	}{
		{"short#1", "short#1", ErrPasswordRule},
		{"NoDigits#here", "NoDigits#here", ErrPasswordRule},
		{"12345678#", "12345678#", ErrPasswordRule},
		{"Letters123", "Letters123", ErrPasswordRule},
		{"Secret#12", "Secret#13", ErrPasswordConfirm},
	}
	for _, c := range cases {
		r := newRun(t).toPassword()
		r.do(PasswordEntered{Password: c.pw, Confirm: c.confirm}).want(StepPassword)
		if r.s.Err != c.err || len(r.eff) != 0 || r.s.HasPassword() {
			t.Errorf("%q/%q: err %q eff %v", c.pw, c.confirm, r.s.Err, r.eff)
		}
	}
	if !CheckPassword("aB3$xxxx").OK() || CheckPassword("ab3$xxx").Length {
		t.Fatal("CheckPassword")
	}
}

// A provider failure at every call: transport trouble offers retry, which
// repeats the same call; a refusal ends the session.
func TestProviderErrorAtEveryCall(t *testing.T) {
	calls := []struct {
		op    Op
		reach func(*run) *run // leaves the call in flight
		want  Effect
	}{
		{OpCreate, func(r *run) *run { return r.toWelcome().do(Begin{}) }, DoCreate{}},
		{OpPrivacy, func(r *run) *run {
			return r.toPrivacy().do(ConsentAccepted{Kind: provider.ConsentPrivacy, TextSHA256: sha})
		}, DoConsent{}},
		{OpBiometrics, func(r *run) *run { return r.toBiometrics().do(CaptureStart{}) }, DoBiometrics{}},
		{OpEDSRules, func(r *run) *run {
			return r.toEDSRules().do(ConsentAccepted{Kind: provider.ConsentEDSRules, TextSHA256: sha})
		}, DoConsent{}},
		{OpCertificate, (*run).toSigning, DoCertificate{}},
		{OpSign, func(r *run) *run {
			return r.toSigning().do(CertificateIssued{Gen: r.gen(), Resp: provider.CertificateResponse{}})
		}, DoSign{}},
	}
	for _, c := range calls {
		t.Run(c.op.String()+"/timeout", func(t *testing.T) {
			r := c.reach(newRun(t))
			step := r.s.Step
			if r.s.Busy != c.op {
				t.Fatalf("busy %v", r.s.Busy)
			}
			r.do(Failed{Gen: r.gen(), Op: c.op, Code: provider.CodeTimeout}).want(step)
			if r.s.Retry != c.op || r.s.Err != provider.CodeTimeout {
				t.Fatalf("retry %v err %q", r.s.Retry, r.s.Err)
			}
			r.do(Retry{})
			r.wantEffect(c.want)
			if r.s.Busy != c.op || r.s.Err != "" {
				t.Fatalf("after retry busy %v err %q", r.s.Busy, r.s.Err)
			}
		})
		t.Run(c.op.String()+"/refused", func(t *testing.T) {
			r := c.reach(newRun(t))
			r.do(Failed{Gen: r.gen(), Op: c.op, Code: provider.CodeWrongState}).want(StepEnded)
			if r.s.Reason != ReasonProviderRefused {
				t.Fatalf("reason %q", r.s.Reason)
			}
			assertWiped(t, r.s)
		})
		t.Run(c.op.String()+"/expired", func(t *testing.T) {
			r := c.reach(newRun(t))
			r.do(Failed{Gen: r.gen(), Op: c.op, Code: provider.CodeSessionExpired}).want(StepEnded)
			if r.s.Reason != ReasonProviderExpired {
				t.Fatalf("reason %q", r.s.Reason)
			}
		})
	}
	// The code call: transport trouble leaves the subscriber on the keypad.
	r := newRun(t).toCode().do(CodeEntered{Code: "123456"})
	r.do(Failed{Gen: r.gen(), Op: OpCode, Code: provider.CodeUnavailable}).want(StepCode)
	if r.s.Err != provider.CodeUnavailable || r.s.CodeAttemptsLeft != 3 || r.s.Busy != OpNone {
		t.Fatalf("err %q attempts %d", r.s.Err, r.s.CodeAttemptsLeft)
	}
}

func TestStoreFailureKeepsSignatureAndRetries(t *testing.T) {
	r := newRun(t).toSigning()
	r.do(CertificateIssued{Gen: r.gen()}).do(SignedDoc{Gen: r.gen(), Sig: Signature{DocumentSHA256: sha}}).toSealed()
	r.do(Failed{Gen: r.gen(), Op: OpStore, Code: ErrStoreFailed}).want(StepSigning)
	if r.s.Signed == nil || r.s.Retry != OpStore {
		t.Fatalf("signature dropped or no retry: %+v", r.s.Retry)
	}
	// Neither the clocks nor cancel may drop a signature not yet stored.
	r.after(time.Hour).do(Tick{}).do(Cancel{}).want(StepSigning)
	r.do(Retry{})
	d := r.wantEffect(DoStore{}).(DoStore)
	if d.Snapshot.Signed == nil {
		t.Fatal("store retried without the signature")
	}
	r.do(Stored{Gen: r.gen(), Receipt: Receipt{PackageID: "p"}}).want(StepDone)
}

func TestWrongPasswordAtSignGoesBackToPassword(t *testing.T) {
	r := newRun(t).toSigning()
	r.do(Failed{Gen: r.gen(), Op: OpCertificate, Code: provider.CodeWeakPassword}).want(StepPassword)
	if r.s.HasPassword() || r.s.Err != provider.CodeWeakPassword {
		t.Fatalf("err %q", r.s.Err)
	}
}

func TestStaleAndForeignAnswersIgnored(t *testing.T) {
	r := newRun(t).toCode()
	old := r.gen()
	r.do(Cancel{}).after(10 * time.Second).do(Tick{}).want(StepIdle)
	r.toWelcome()
	if r.gen() == old {
		t.Fatal("gen not advanced")
	}
	r.do(Created{Gen: old, Resp: provider.CreateSessionResponse{SessionID: "x"}}).want(StepWelcome)
	// An answer for a call not in flight.
	r.do(CodeAccepted{Gen: r.gen()}).want(StepWelcome)
	// Input while busy is ignored.
	r.do(Begin{}).do(Begin{})
	if len(r.eff) != 0 {
		t.Fatal("second Begin while busy made a call")
	}
}

func TestTicketWhileRunningIgnoredAndRejectShown(t *testing.T) {
	r := newRun(t)
	r.do(TicketRejected{Code: "expired"}).want(StepIdle)
	if r.s.Err != "expired" {
		t.Fatalf("err %q", r.s.Err)
	}
	r.toCode()
	tk := testTicket()
	tk.TID = "t-2"
	r.do(TicketAccepted{Ticket: tk}).want(StepCode)
	if r.s.Ticket.TID != "t-1" {
		t.Fatal("ticket replaced mid-session")
	}
}

func TestLangSwitchAnywhere(t *testing.T) {
	r := newRun(t).toReview()
	r.do(SetLang{Lang: "ru"})
	if r.s.Lang != "ru" {
		t.Fatal("lang")
	}
	r.do(SetLang{Lang: "de"})
	if r.s.Lang != "ru" {
		t.Fatal("unknown lang accepted")
	}
	r.do(ReviewAccepted{}).do(ConsentAccepted{Kind: provider.ConsentPrivacy, TextSHA256: sha})
	if r.s.Consents[0].Lang != "ru" {
		t.Fatal("consent not in the language read")
	}
}

func TestConsentNeedsRightKindAndHash(t *testing.T) {
	r := newRun(t).toPrivacy()
	r.do(ConsentAccepted{Kind: provider.ConsentEDSRules, TextSHA256: sha})
	r.do(ConsentAccepted{Kind: provider.ConsentPrivacy, TextSHA256: "short"})
	if len(r.eff) != 0 || r.s.Busy != OpNone {
		t.Fatal("wrong consent accepted")
	}
}

func TestNextDoesNotMutateInput(t *testing.T) {
	r := newRun(t).toBiometrics()
	before := r.s.clone()
	m := r.m
	_, _ = m.Next(r.s, CaptureStart{}, r.now)
	if !reflect.DeepEqual(before, r.s) {
		t.Fatal("input state mutated")
	}
}

func TestStepNames(t *testing.T) {
	for s := StepIdle; s <= StepEnded; s++ {
		if s.String() == "unknown" || strings.Contains(s.String(), " ") {
			t.Fatalf("step %d has no name", s)
		}
	}
	if StepCode.Number() != 1 || StepDone.Number() != StepsTotal || StepEnded.Number() != 0 {
		t.Fatal("step numbers")
	}
	// Every step shown counts up by one or stays: no number is skipped.
	last := 0
	for s := StepCode; s <= StepDone; s++ {
		n := s.Number()
		if n != last && n != last+1 {
			t.Fatalf("step %v is %d of %d after %d", s, n, StepsTotal, last)
		}
		last = n
	}
}

// The idle screen returns to the kiosk's own language after a session in
// another one; the staff's choice of default takes effect on the idle
// screen at once, and in a running session only once it is over.
func TestIdleReturnsToDefaultLang(t *testing.T) {
	r := newRun(t)
	r.do(SetDefaultLang{Lang: "kk"})
	r.toReview().do(SetLang{Lang: "ru"})
	r.do(Cancel{}).want(StepEnded)
	if r.s.Lang != "ru" {
		t.Fatalf("the ended screen is in %q, want the session's ru", r.s.Lang)
	}
	r.do(Finish{}).want(StepIdle)
	if r.s.Lang != "kk" {
		t.Fatalf("idle after a Russian session is in %q, want the default kk", r.s.Lang)
	}
	r.do(SetDefaultLang{Lang: "ru"})
	if r.s.Lang != "ru" || r.s.DefaultLang != "ru" {
		t.Fatalf("idle default set to ru: lang %q default %q", r.s.Lang, r.s.DefaultLang)
	}
	r.toWelcome()
	r.do(SetDefaultLang{Lang: "en"})
	if r.s.DefaultLang != "en" || r.s.Lang == "en" {
		t.Fatalf("default set mid-session: lang %q default %q", r.s.Lang, r.s.DefaultLang)
	}
	r.do(SetDefaultLang{Lang: "de"})
	if r.s.DefaultLang != "en" {
		t.Fatal("unknown default language accepted")
	}
	r.do(Cancel{}).do(Finish{}).want(StepIdle)
	if r.s.Lang != "en" {
		t.Fatalf("idle in %q, want en", r.s.Lang)
	}
}

// Each code sent counts: the UI knows a new one is on its way.
func TestCodeSentCounts(t *testing.T) {
	r := newRun(t).toCode()
	if r.s.CodeSent != 1 {
		t.Fatalf("after create: %d codes sent", r.s.CodeSent)
	}
	r.after(DefaultLimits().ResendCooldown).do(ResendCode{})
	r.wantEffect(DoResend{})
	r.do(Resent{Gen: r.gen()})
	if r.s.CodeSent != 2 {
		t.Fatalf("after a resend: %d codes sent", r.s.CodeSent)
	}
}
