package sim_test

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"slices"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/pack/packtest"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/provider/sim/simtest"
	"almatel.kz/signkiosk/sync/pki"
)

// toBiometrics opens a session up to its biometric step.
func (e *env) toBiometrics(t *testing.T, iin string) string {
	t.Helper()
	id := e.create(t, iin)
	e.openDoc(t, id)
	must(t, e.client.Consent(context.Background(), id, consent(provider.ConsentPrivacy)))
	return id
}

// The provider chooses: 1–3 distinct moves of its set, a 32-byte nonce,
// an id and an expiry about a minute on; every challenge differs.
func TestChallengeIsTheProvidersChoice(t *testing.T) {
	e := newEnv(t, func(c *sim.Config) { c.Moves = nil })
	id := e.toBiometrics(t, testIIN)
	lengths := map[int]bool{}
	nonces, ids := map[string]bool{}, map[string]bool{}
	for range 10 { // the most a session may draw
		ch := e.challenge(t, id)
		if n := len(ch.Moves); n < 1 || n > 3 {
			t.Fatalf("%d moves", n)
		}
		lengths[len(ch.Moves)] = true
		seen := map[string]bool{}
		for _, m := range ch.Moves {
			if !slices.Contains(provider.Moves, m) || seen[m] {
				t.Fatalf("moves %v", ch.Moves)
			}
			seen[m] = true
		}
		if len(ch.Nonce) != 32 || nonces[string(ch.Nonce)] || ids[ch.ChallengeID] {
			t.Fatalf("nonce %x / id %s repeated or short", ch.Nonce, ch.ChallengeID)
		}
		nonces[string(ch.Nonce)], ids[ch.ChallengeID] = true, true
		if ttl := ch.ExpiresAt.Sub(e.clock.Now()); ttl != time.Minute {
			t.Fatalf("expires in %v", ttl)
		}
	}
	if len(lengths) < 2 {
		t.Errorf("10 challenges all had %v moves", lengths)
	}
	// A kiosk that draws and never answers is stopped.
	_, err := e.client.BiometricChallenge(context.Background(), id)
	wantErr(t, err, http.StatusTooManyRequests, provider.CodeBiometricFailed)
}

// The sequence asked for is judged from the frames: acting out the moves in
// another order, even signed by an enrolled kiosk, is a retry with
// wrong_order, and counts as an attempt. (Turns, not coming closer: the
// drawn face still half turned while it comes closer is, as the kiosk
// would see it too, a turn after coming closer.)
func TestWrongOrderIsJudgedFromTheFrames(t *testing.T) {
	e := newEnv(t, func(c *sim.Config) {
		c.Moves = func() []string { return []string{provider.MoveTurnLeft, provider.MoveTurnRight} }
	})
	ctx := context.Background()
	id := e.toBiometrics(t, testIIN)
	ch := e.challenge(t, id)
	wrong := e.dev.Submission(id, ch, simtest.FramesAt(t, e.clock.Now, provider.MoveTurnRight, provider.MoveTurnLeft))
	bio, err := e.client.Biometrics(ctx, id, wrong)
	must(t, err)
	if bio.Decision != provider.DecisionRetry || bio.Reason != provider.ReasonWrongOrder || bio.AttemptsLeft != 4 {
		t.Fatalf("wrong order: %+v", bio)
	}
	ch = e.challenge(t, id)
	half := e.dev.Submission(id, ch, simtest.FramesAt(t, e.clock.Now, provider.MoveTurnLeft))
	bio, err = e.client.Biometrics(ctx, id, half)
	must(t, err)
	if bio.Decision != provider.DecisionRetry || bio.Reason != provider.ReasonMovesNotSeen || bio.AttemptsLeft != 3 {
		t.Fatalf("one move of two: %+v", bio)
	}
	bio, err = e.attempt(t, id)
	must(t, err)
	if bio.Decision != provider.DecisionPass || bio.AttemptsLeft != 2 || bio.ChallengeID == "" {
		t.Fatalf("right order: %+v", bio)
	}
}

// Every way of answering other than once, fresh, signed and in time is
// refused with its own code; none spends an attempt.
func TestSubmissionRefusals(t *testing.T) {
	// One move a challenge: every refusal needs fresh frames, and what is
	// refused here is not the moves (TestWrongOrderIsJudgedFromTheFrames).
	e := newEnv(t, func(c *sim.Config) { c.Moves = func() []string { return []string{provider.MoveTurnLeft} } })
	ctx := context.Background()
	id := e.toBiometrics(t, testIIN)
	refused := func(name string, req provider.BiometricsRequest, status int, code string) {
		t.Helper()
		_, err := e.client.Biometrics(ctx, id, req)
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		wantErr(t, err, status, code)
	}

	// A replay: the same signed submission twice.
	ch := e.challenge(t, id)
	first := e.submission(t, id, ch)
	bio, err := e.client.Biometrics(ctx, id, first)
	must(t, err)
	if bio.Decision != provider.DecisionPass || bio.AttemptsLeft != 4 {
		t.Fatalf("honest attempt: %+v", bio)
	}
	refused("replay", first, http.StatusConflict, provider.CodeChallengeUsed)

	// A reused nonce: an old challenge's nonce with a new challenge.
	ch2 := e.challenge(t, id)
	old := e.submission(t, id, ch2)
	old.Nonce = ch.Nonce
	old.Signature = ed25519.Sign(e.dev.Key, old.SignedData(id))
	refused("reused nonce", old, http.StatusConflict, provider.CodeNonceMismatch)
	refused("answered again after the nonce refusal", e.submission(t, id, ch2), http.StatusConflict, provider.CodeChallengeUsed)

	// Frames from another session: captured and judged there, signed anew here.
	other := e.toBiometrics(t, testIIN)
	och := e.challenge(t, other)
	theirs := e.submission(t, other, och)
	if _, err := e.client.Biometrics(ctx, other, theirs); err != nil {
		t.Fatal(err)
	}
	ch3 := e.challenge(t, id)
	refused("frames from another session", e.dev.Submission(id, ch3, theirs.Frames), http.StatusConflict, provider.CodeFramesReused)
	// …or that session's submission sent here as it is: its challenge is not ours.
	refused("another session's challenge", theirs, http.StatusNotFound, provider.CodeChallengeUnknown)
	// …or its signature kept with our challenge: the signature covers the session.
	ch4 := e.challenge(t, id)
	moved := e.submission(t, id, ch4)
	moved.Signature = e.dev.Submission(other, ch4, moved.Frames).Signature
	refused("signed for another session", moved, http.StatusForbidden, provider.CodeSignatureInvalid)

	// Tampered after signing: one frame swapped.
	ch5 := e.challenge(t, id)
	swapped := e.submission(t, id, ch5)
	swapped.Frames[1] = simtest.FramesAt(t, e.clock.Now, provider.MoveTurnRight)[1]
	refused("a frame swapped after signing", swapped, http.StatusForbidden, provider.CodeSignatureInvalid)

	// A kiosk the kiosk CA never enrolled, and another enrolled kiosk than
	// the one that opened the session.
	ch6 := e.challenge(t, id)
	_, stranger, _ := ed25519.GenerateKey(nil)
	selfMade := simtest.Device{Key: stranger, Cert: packtest.IssueDevice(t, otherCA(t, e), testKiosk, stranger.Public().(ed25519.PublicKey))}
	refused("an unenrolled kiosk", selfMade.Submission(id, ch6, e.submission(t, id, ch6).Frames), http.StatusForbidden, provider.CodeDeviceNotEnrolled)
	ch7 := e.challenge(t, id)
	_, k2, _ := ed25519.GenerateKey(nil)
	neighbour := simtest.Device{Key: k2, Cert: packtest.IssueDevice(t, e.ca, "K2", k2.Public().(ed25519.PublicKey))}
	refused("another kiosk", neighbour.Submission(id, ch7, e.submission(t, id, ch7).Frames), http.StatusForbidden, provider.CodeDeviceNotEnrolled)

	// Frame times out of order, or from before the challenge.
	ch8 := e.challenge(t, id)
	f := e.submission(t, id, ch8).Frames
	times := make([]time.Time, len(f))
	for i := range f {
		times[i] = f[i].CapturedAt
	}
	slices.Reverse(times)
	for i := range f {
		f[i].CapturedAt = times[i]
	}
	refused("frames out of order", e.dev.Submission(id, ch8, f), http.StatusUnprocessableEntity, provider.CodeFrameTimes)
	ch9 := e.challenge(t, id)
	early := simtest.FramesAt(t, func() time.Time { return e.clock.Now().Add(-time.Hour) }, ch9.Moves...)
	refused("frames from an hour before", e.dev.Submission(id, ch9, early), http.StatusUnprocessableEntity, provider.CodeFrameTimes)

	// An unknown challenge id, and one answered after its expiry.
	ch10 := e.challenge(t, id)
	unknown := e.submission(t, id, ch10)
	unknown.ChallengeID = "not-issued"
	refused("an unknown challenge", unknown, http.StatusNotFound, provider.CodeChallengeUnknown)

	// None of these spent an attempt: the session is still at 4 left
	// (tested on a fresh session whose challenges are not exhausted).
	id2 := e.toBiometrics(t, testIIN)
	late := e.challenge(t, id2)
	req := e.submission(t, id2, late)
	e.clock.Advance(61 * time.Second)
	_, err = e.client.Biometrics(ctx, id2, req)
	wantErr(t, err, http.StatusGone, provider.CodeChallengeExpired)
	bio, err = e.attempt(t, id2)
	must(t, err)
	if bio.Decision != provider.DecisionPass || bio.AttemptsLeft != 4 {
		t.Fatalf("after an expired challenge: %+v", bio)
	}
}

// otherCA is a kiosk CA the simulator does not trust.
func otherCA(t *testing.T, e *env) *pki.PKI {
	t.Helper()
	ca, err := pki.LoadOrCreate(t.TempDir(), e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// Without kiosk roots nothing is taken: every submission is refused.
func TestNoKioskRootsTakesNothing(t *testing.T) {
	e := newEnv(t, func(c *sim.Config) { c.KioskRoots = nil })
	id := e.toBiometrics(t, testIIN)
	_, err := e.attempt(t, id)
	wantErr(t, err, http.StatusForbidden, provider.CodeDeviceNotEnrolled)
}
