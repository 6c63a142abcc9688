package sim

import (
	"bytes"
	"crypto/sha256"
	"image/jpeg"
	"net/http"

	"github.com/google/uuid"

	"almatel.kz/signkiosk/app/provider"
)

const maxFrames = 32

// handleBiometrics judges one attempt. After a pass, repeats answer the same
// decision (a retry after a client timeout must not strand the session);
// after BiometricAttempts attempts without one, the answer is fail and then
// 429 biometric_failed.
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
	total := 0
	for _, f := range req.Frames {
		total += len(f)
	}
	if total > maxFramesBytes {
		writeError(w, http.StatusRequestEntityTooLarge, provider.CodeBadRequest, "frames exceed 8 MiB", nil)
		return
	}
	// Stand-in judgement: any set of decodable JPEG frames is a live face
	// that matches. Issue 5 replaces this with the pigo face analysis.
	for _, f := range req.Frames {
		if _, err := jpeg.Decode(bytes.NewReader(f)); err != nil {
			writeError(w, http.StatusBadRequest, provider.CodeBadRequest, "a frame is not a JPEG image", nil)
			return
		}
	}
	noMatch := ss.iin == TriggerIINNoMatch

	ss.mu.Lock()
	defer ss.mu.Unlock()
	switch {
	case !ss.privacy:
		writeError(w, http.StatusConflict, provider.CodeWrongState, "the privacy consent comes first", nil)
		return
	case ss.bioPass != nil:
		writeJSON(w, http.StatusOK, ss.bioPass)
		return
	case ss.bioFailed:
		writeError(w, http.StatusTooManyRequests, provider.CodeBiometricFailed, "biometric attempts exhausted", intPtr(0))
		return
	}
	ss.bioAttempts++
	// Scores look like a real provider's, stable for the same frames.
	h := sha256.New()
	for _, f := range req.Frames {
		h.Write(f)
	}
	sum := h.Sum(nil)
	resp := provider.BiometricsResponse{
		DecisionID:   uuid.NewString(),
		Decision:     provider.DecisionPass,
		Liveness:     0.90 + float64(sum[0]%10)/100,
		Match:        0.90 + float64(sum[1]%10)/100,
		AttemptsLeft: s.cfg.BiometricAttempts - ss.bioAttempts,
	}
	switch {
	case !noMatch:
		ss.bioPass = &resp
		ss.pendingKey = startKeygen() // ready by the time the password comes
	case resp.AttemptsLeft > 0:
		resp.Decision, resp.Reason, resp.Match = provider.DecisionRetry, ReasonNoMatch, 0.10+float64(sum[1]%20)/100
	default:
		resp.Decision, resp.Reason, resp.Match = provider.DecisionFail, ReasonNoMatch, 0.10+float64(sum[1]%20)/100
		ss.bioFailed = true
	}
	s.log.Info().Str("sim_session", ss.id).Str("decision_id", resp.DecisionID).Str("decision", resp.Decision).
		Int("attempts_left", resp.AttemptsLeft).Msg("biometric attempt")
	writeJSON(w, http.StatusOK, resp)
}
