package sim

import (
	"bytes"
	"crypto/sha256"
	"image"
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
	imgs := make([]image.Image, 0, len(req.Frames))
	for _, f := range req.Frames {
		img, err := jpeg.Decode(bytes.NewReader(f))
		if err != nil {
			writeError(w, http.StatusBadRequest, provider.CodeBadRequest, "a frame is not a JPEG image", nil)
			return
		}
		imgs = append(imgs, img)
	}
	// Liveness is judged with the kiosk's own face analysis: one face in
	// every frame, one continuous subject. The match is simulated: every
	// live face matches except for the no-match trigger IIN.
	reason := judgeFrames(s.faces, imgs)
	clear(imgs) // frames live only as long as the judgement
	if reason == "" && ss.iin == TriggerIINNoMatch {
		reason = ReasonNoMatch
	}

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
	if reason != "" {
		resp.Reason, resp.Match = reason, 0.10+float64(sum[1]%20)/100
		if reason != ReasonNoMatch {
			resp.Liveness, resp.Match = 0.05+float64(sum[0]%20)/100, 0
		}
	}
	switch {
	case reason == "":
		ss.bioPass = &resp
		ss.pendingKey = startKeygen() // ready by the time the password comes
	case resp.AttemptsLeft > 0:
		resp.Decision = provider.DecisionRetry
	default:
		resp.Decision = provider.DecisionFail
		ss.bioFailed = true
	}
	s.log.Info().Str("sim_session", ss.id).Str("decision_id", resp.DecisionID).Str("decision", resp.Decision).
		Int("attempts_left", resp.AttemptsLeft).Msg("biometric attempt")
	writeJSON(w, http.StatusOK, resp)
}
