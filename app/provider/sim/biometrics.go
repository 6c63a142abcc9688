package sim

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"image"
	"image/jpeg"
	"net/http"
	"time"

	"github.com/google/uuid"

	"almatel.kz/signkiosk/app/provider"
)

const maxFrames = 32

// handleBiometrics judges one attempt: the frames answering a challenge the
// simulator issued, signed by an enrolled kiosk. Refusals (an unknown, used
// or expired challenge, a wrong nonce, a bad device or signature, frames
// seen before or timed outside the challenge) spend no attempt; each burns
// the challenge. A judged attempt counts; after BiometricAttempts without a
// pass the answer is fail and then 429 biometric_failed.
func (s *Simulator) handleBiometrics(w http.ResponseWriter, r *http.Request) {
	ss, ok := s.begin(w, r)
	if !ok {
		return
	}
	var req provider.BiometricsRequest
	if !decodeBody(w, r, maxBiometricsBytes, &req) {
		return
	}
	if len(req.Frames) == 0 || len(req.Frames) > maxFrames {
		writeError(w, http.StatusBadRequest, provider.CodeBadRequest, "send 1 to 32 frames", nil)
		return
	}
	nRest, ok := restFrames(req.Frames)
	if !ok {
		writeError(w, http.StatusBadRequest, provider.CodeBadRequest,
			"frames start with 1 to 3 at rest (rest: true), then the moves' frames", nil)
		return
	}
	total := 0
	for _, f := range req.Frames {
		total += len(f.JPEG)
	}
	if total > maxFramesBytes {
		writeError(w, http.StatusRequestEntityTooLarge, provider.CodeBadRequest, "frames exceed 8 MiB", nil)
		return
	}
	now := s.cfg.Now()

	ss.mu.Lock()
	ch, refused := s.admit(ss, req)
	ss.mu.Unlock()
	if refused != nil {
		writeError(w, refused.Status, refused.Code, refused.Message, nil)
		s.log.Info().Str("sim_session", ss.id).Str("code", refused.Code).Msg("biometric submission refused")
		return
	}
	if now.After(ch.ExpiresAt) {
		writeError(w, http.StatusGone, provider.CodeChallengeExpired, "the challenge expired; ask for a new one", nil)
		return
	}
	if err := s.checkDevice(req, ss.id, ss.kioskID, now); err != nil {
		code := provider.CodeDeviceNotEnrolled
		if errors.Is(err, errBadSignature) {
			code = provider.CodeSignatureInvalid
		}
		s.log.Warn().Str("sim_session", ss.id).Str("code", code).Err(err).Msg("biometric submission refused")
		writeError(w, http.StatusForbidden, code, err.Error(), nil)
		return
	}
	if !framesTimely(req.Frames, ch, s.cfg.ClockSkew) {
		writeError(w, http.StatusUnprocessableEntity, provider.CodeFrameTimes,
			"frame capture times are out of order or outside the challenge's life", nil)
		return
	}
	sums := make([][sha256.Size]byte, len(req.Frames))
	for i, f := range req.Frames {
		sums[i] = sha256.Sum256(f.JPEG)
	}
	if !s.claimFrames(sums) {
		writeError(w, http.StatusConflict, provider.CodeFramesReused, "a frame was submitted before", nil)
		return
	}
	imgs := make([]image.Image, 0, len(req.Frames))
	for _, f := range req.Frames {
		img, err := jpeg.Decode(bytes.NewReader(f.JPEG))
		if err != nil {
			writeError(w, http.StatusBadRequest, provider.CodeBadRequest, "a frame is not a JPEG image", nil)
			return
		}
		imgs = append(imgs, img)
	}
	// The simulator's own judgement, from the frames alone: one live,
	// usable face, one continuous subject, performing the challenge's
	// moves in order. The match is simulated: every live face matches
	// except for the no-match trigger IIN.
	reason := judgeAttempt(s.faces, imgs, nRest, ch.Moves)
	clear(imgs) // frames live only as long as the judgement
	if reason == "" && ss.iin == TriggerIINNoMatch {
		reason = ReasonNoMatch
	}
	s.answer(w, ss, req, ch, reason, sums)
}

// admit finds the challenge req answers and burns it; a refusal says why.
// Called with ss.mu held.
func (s *Simulator) admit(ss *session, req provider.BiometricsRequest) (*challenge, *provider.Error) {
	ch := ss.challenges[req.ChallengeID]
	switch {
	case !ss.privacy:
		return nil, &provider.Error{Status: http.StatusConflict, Code: provider.CodeWrongState, Message: "the privacy consent comes first"}
	case ss.bioFailed:
		return nil, &provider.Error{Status: http.StatusTooManyRequests, Code: provider.CodeBiometricFailed, Message: "biometric attempts exhausted"}
	case ch == nil:
		return nil, &provider.Error{Status: http.StatusNotFound, Code: provider.CodeChallengeUnknown, Message: "no such challenge in this session"}
	case ch.used:
		return nil, &provider.Error{Status: http.StatusConflict, Code: provider.CodeChallengeUsed, Message: "the challenge was answered already"}
	}
	ch.used = true
	if subtle.ConstantTimeCompare(ch.Nonce, req.Nonce) != 1 {
		return nil, &provider.Error{Status: http.StatusConflict, Code: provider.CodeNonceMismatch, Message: "not the challenge's nonce"}
	}
	return ch, nil
}

// framesTimely: capture times strictly increase and lie within the
// challenge's life, give or take the kiosk clock's skew.
func framesTimely(frames []provider.Frame, ch *challenge, skew time.Duration) bool {
	from, to := ch.issuedAt.Add(-skew), ch.ExpiresAt.Add(skew)
	for i, f := range frames {
		if f.CapturedAt.Before(from) || f.CapturedAt.After(to) || (i > 0 && !f.CapturedAt.After(frames[i-1].CapturedAt)) {
			return false
		}
	}
	return true
}

// claimFrames records sums as seen, unless one was seen before (or repeats
// within the submission).
func (s *Simulator) claimFrames(sums [][sha256.Size]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	within := map[[sha256.Size]byte]bool{}
	for _, sum := range sums {
		if s.seen.seen(sum) || within[sum] {
			return false
		}
		within[sum] = true
	}
	for _, sum := range sums {
		s.seen.add(sum)
	}
	return true
}

// answer counts the judged attempt and writes the decision.
func (s *Simulator) answer(w http.ResponseWriter, ss *session, req provider.BiometricsRequest, ch *challenge, reason string, sums [][sha256.Size]byte) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.bioFailed {
		writeError(w, http.StatusTooManyRequests, provider.CodeBiometricFailed, "biometric attempts exhausted", intPtr(0))
		return
	}
	ss.bioAttempts++
	// Scores look like a real provider's, stable for the same frames.
	h := sha256.New()
	for _, sum := range sums {
		h.Write(sum[:])
	}
	sum := h.Sum(nil)
	resp := provider.BiometricsResponse{
		DecisionID:   uuid.NewString(),
		Decision:     provider.DecisionPass,
		Liveness:     0.90 + float64(sum[0]%10)/100,
		Match:        0.90 + float64(sum[1]%10)/100,
		AttemptsLeft: max(s.cfg.BiometricAttempts-ss.bioAttempts, 0),
		ChallengeID:  ch.ChallengeID,
	}
	if reason != "" {
		resp.Reason, resp.Match = reason, 0.10+float64(sum[1]%20)/100
		if reason != ReasonNoMatch {
			resp.Liveness, resp.Match = 0.05+float64(sum[0]%20)/100, 0
		}
	}
	switch {
	case reason == "":
		if ss.bioPass == nil {
			ss.pendingKey = startKeygen() // ready by the time the password comes
		}
		ss.bioPass = &resp
	case resp.AttemptsLeft > 0:
		resp.Decision = provider.DecisionRetry
	default:
		resp.Decision = provider.DecisionFail
		ss.bioFailed = true
	}
	s.log.Info().Str("sim_session", ss.id).Str("decision_id", resp.DecisionID).Str("decision", resp.Decision).
		Str("reason", resp.Reason).Int("attempts_left", resp.AttemptsLeft).Msg("biometric attempt")
	writeJSON(w, http.StatusOK, resp)
}
