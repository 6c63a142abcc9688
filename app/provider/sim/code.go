package sim

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"time"

	"github.com/google/uuid"

	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/provider"
)

// validPhone accepts an optional "+" and 10 to 15 digits.
func validPhone(p string) bool {
	if len(p) > 0 && p[0] == '+' {
		p = p[1:]
	}
	if len(p) < 10 || len(p) > 15 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

func validLang(l string) bool { return l == "kk" || l == "ru" || l == "en" }

// handleCreate opens a session and sends the first SMS code.
func (s *Simulator) handleCreate(w http.ResponseWriter, r *http.Request) {
	var req provider.CreateSessionRequest
	if !decodeBody(w, r, maxBodyBytes, &req) {
		return
	}
	if _, _, err := parseIIN(req.IIN); err != nil {
		writeError(w, http.StatusBadRequest, provider.CodeBadRequest, err.Error(), nil)
		return
	}
	switch {
	case req.OrderID == "":
		writeError(w, http.StatusBadRequest, provider.CodeBadRequest, "order_id is required", nil)
		return
	case !validPhone(req.Phone):
		writeError(w, http.StatusBadRequest, provider.CodeBadRequest, "phone must be 10 to 15 digits", nil)
		return
	case !validLang(req.Lang):
		writeError(w, http.StatusBadRequest, provider.CodeBadRequest, "lang must be kk, ru or en", nil)
		return
	case req.KioskID != "" && !pack.ValidKioskID(req.KioskID):
		writeError(w, http.StatusBadRequest, provider.CodeBadRequest, "kiosk_id is not a kiosk id", nil)
		return
	}
	now := s.cfg.Now()
	ss := &session{
		id:         uuid.NewString(),
		iin:        req.IIN,
		surname:    req.Surname,
		given:      req.Given,
		patronymic: req.Patronymic,
		kioskID:    req.KioskID,
		expiresAt:  now.Add(s.cfg.SessionTTL),
	}
	if err := s.sendCode(ss, now); err != nil {
		writeError(w, http.StatusInternalServerError, provider.CodeInternal, "cannot send the code", nil)
		return
	}
	s.add(ss)
	s.log.Info().Str("sim_session", ss.id).Msg("session created")
	writeJSON(w, http.StatusCreated, provider.CreateSessionResponse{SessionID: ss.id, ExpiresAt: ss.expiresAt})
}

// sendCode makes a new code and "sends" it: the simulator's SMS is a log line
// that demo users look for. Callers hold ss.mu or own ss alone.
func (s *Simulator) sendCode(ss *session, now time.Time) error {
	code, err := newCode()
	if err != nil {
		return err
	}
	ss.code, ss.codeSentAt, ss.wrongCodes = code, now, 0
	// By design the one log line with a secret: the simulated SMS, with the
	// provider session id only.
	s.log.Info().Str("sim_session", ss.id).Str("sms_code", code).Msg("simulated SMS from 1414")
	return nil
}

// newCode returns a uniform 6-digit code, never TriggerWrongCode.
func newCode() (string, error) {
	for {
		n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
		if err != nil {
			return "", fmt.Errorf("random code: %w", err)
		}
		if c := fmt.Sprintf("%06d", n.Int64()); c != TriggerWrongCode {
			return c, nil
		}
	}
}

// handleCode checks the SMS code and, when right, opens the ID document.
func (s *Simulator) handleCode(w http.ResponseWriter, r *http.Request) {
	ss, ok := s.begin(w, r)
	if !ok {
		return
	}
	var req provider.CodeRequest
	if !decodeBody(w, r, maxBodyBytes, &req) {
		return
	}
	if ss.iin == TriggerIINUnavailable {
		s.log.Info().Str("sim_session", ss.id).Msg("unavailable trigger: refusing egov-code")
		writeError(w, http.StatusServiceUnavailable, provider.CodeUnavailable, "eGov is not answering", nil)
		return
	}
	now := s.cfg.Now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	right := req.Code == ss.code && req.Code != TriggerWrongCode
	switch {
	case ss.doc != nil && right:
		// A repeat of the accepted code (the kiosk retrying after a timeout).
		writeJSON(w, http.StatusOK, ss.doc)
		return
	case ss.doc != nil:
		writeError(w, http.StatusConflict, provider.CodeWrongState, "the document is already open", nil)
		return
	case ss.wrongCodes >= s.cfg.CodeAttempts:
		writeError(w, http.StatusTooManyRequests, provider.CodeTooMany, "too many wrong codes: ask for a new one", intPtr(0))
		return
	case !now.Before(ss.codeSentAt.Add(s.cfg.CodeTTL)):
		writeError(w, http.StatusGone, provider.CodeCodeExpired, "the code has expired: ask for a new one", nil)
		return
	case !right:
		ss.wrongCodes++
		left := s.cfg.CodeAttempts - ss.wrongCodes
		s.log.Info().Str("sim_session", ss.id).Int("attempts_left", left).Msg("wrong code")
		writeError(w, http.StatusUnprocessableEntity, provider.CodeWrongCode, "wrong code", intPtr(left))
		return
	}
	doc, err := s.makeDocument(ss)
	if err != nil {
		writeError(w, http.StatusInternalServerError, provider.CodeInternal, "cannot make the document", nil)
		return
	}
	ss.doc = doc
	s.log.Info().Str("sim_session", ss.id).Msg("code accepted, document open")
	writeJSON(w, http.StatusOK, doc)
}

// handleResend sends a new code, within the cooldown and resend limits.
func (s *Simulator) handleResend(w http.ResponseWriter, r *http.Request) {
	ss, ok := s.begin(w, r)
	if !ok {
		return
	}
	now := s.cfg.Now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	switch {
	case ss.doc != nil:
		writeError(w, http.StatusConflict, provider.CodeWrongState, "the document is already open", nil)
		return
	case ss.resends >= s.cfg.MaxResends:
		writeError(w, http.StatusTooManyRequests, provider.CodeTooMany, "no more resends in this session", nil)
		return
	case now.Before(ss.codeSentAt.Add(s.cfg.ResendCooldown)):
		wait := ss.codeSentAt.Add(s.cfg.ResendCooldown).Sub(now)
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds()+0.999)))
		writeError(w, http.StatusTooManyRequests, provider.CodeTooMany, "wait before asking for a new code", nil)
		return
	}
	if err := s.sendCode(ss, now); err != nil {
		writeError(w, http.StatusInternalServerError, provider.CodeInternal, "cannot send the code", nil)
		return
	}
	ss.resends++
	w.WriteHeader(http.StatusAccepted)
}
