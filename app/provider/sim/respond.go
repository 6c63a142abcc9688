package sim

import (
	"encoding/json"
	"errors"
	"net/http"

	"almatel.kz/signkiosk/app/provider"
)

// Request body limits: frames may total maxFramesBytes once decoded, which is
// 4/3 of that as base64 inside JSON.
const (
	maxBodyBytes       = 64 << 10
	maxFramesBytes     = 8 << 20
	maxBiometricsBytes = maxFramesBytes/3*4 + maxBodyBytes
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own types are written; failing here is a bug.
		writeError(w, http.StatusInternalServerError, provider.CodeInternal, "encode response", nil)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store") // answers carry personal data
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError writes the API's error body. msg must not echo request data.
func writeError(w http.ResponseWriter, status int, code, msg string, attemptsLeft *int) {
	b, _ := json.Marshal(provider.Error{Code: code, Message: msg, AttemptsLeft: attemptsLeft})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// decodeBody reads one JSON value of at most limit bytes into v, answering
// 413 or 400 itself when it cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields() // a simulator should catch client typos
	err := dec.Decode(v)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, provider.CodeBadRequest, "request body too large", nil)
		return false
	case err != nil:
		writeError(w, http.StatusBadRequest, provider.CodeBadRequest, "malformed JSON body", nil)
		return false
	}
	return true
}

func intPtr(n int) *int { return &n }
