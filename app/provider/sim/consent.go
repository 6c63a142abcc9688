package sim

import (
	"encoding/hex"
	"net/http"

	"almatel.kz/signkiosk/app/provider"
)

// validSHA256Hex accepts a SHA-256 digest as 64 hex digits.
func validSHA256Hex(h string) bool {
	if len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}

// handleConsent records a consent. Privacy needs the open document (the
// subscriber has reviewed their data); EDS rules need a biometric pass.
// Repeating a consent is harmless and answers 204 again.
func (s *Simulator) handleConsent(w http.ResponseWriter, r *http.Request) {
	ss, ok := s.begin(w, r)
	if !ok {
		return
	}
	var req provider.ConsentRequest
	if !decodeBody(w, r, maxBodyBytes, &req) {
		return
	}
	switch {
	case req.Kind != provider.ConsentPrivacy && req.Kind != provider.ConsentEDSRules:
		writeError(w, http.StatusBadRequest, provider.CodeBadRequest, "kind must be privacy or eds_rules", nil)
		return
	case !validSHA256Hex(req.TextSHA256):
		writeError(w, http.StatusBadRequest, provider.CodeBadRequest, "text_sha256 must be 64 hex digits", nil)
		return
	case !validLang(req.Lang):
		writeError(w, http.StatusBadRequest, provider.CodeBadRequest, "lang must be kk, ru or en", nil)
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	switch {
	case ss.doc == nil:
		writeError(w, http.StatusConflict, provider.CodeWrongState, "enter the code first", nil)
		return
	case req.Kind == provider.ConsentPrivacy:
		ss.privacy = true
	case ss.bioPass == nil:
		writeError(w, http.StatusConflict, provider.CodeWrongState, "biometrics must pass first", nil)
		return
	default:
		ss.edsRules = true
	}
	s.log.Info().Str("sim_session", ss.id).Str("kind", req.Kind).Str("lang", req.Lang).Msg("consent recorded")
	w.WriteHeader(http.StatusNoContent)
}
