package sim

import (
	"bytes"
	"crypto/x509"
	"io"
	"net/http"
	"sync"
	"time"

	"almatel.kz/signkiosk/app/provider"
)

// session is one provider session. The fields above mu are set at create
// and never change; the rest is guarded by mu.
type session struct {
	id                         string
	iin                        string
	surname, given, patronymic string // from the create call, may be empty
	kioskID                    string // the kiosk that opened it; its device certificate signs the frames
	expiresAt                  time.Time

	mu          sync.Mutex
	code        string // the SMS code last sent
	codeSentAt  time.Time
	wrongCodes  int // since the last code was sent
	resends     int
	doc         *provider.IDDocument // set once the code is accepted
	privacy     bool
	bioAttempts int
	challenges  map[string]*challenge        // issued liveness challenges, by id
	issued      int                          // challenges issued
	bioPass     *provider.BiometricsResponse // the passing decision
	bioFailed   bool
	edsRules    bool
	pendingKey  chan keyResult // the subscriber's key being made since biometrics passed
	sealedKey   []byte         // the subscriber's EDS key, encrypted PKCS#8 under the password
	cert        *x509.Certificate
	certPEM     string
}

func (s *Simulator) add(ss *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
	s.sessions[ss.id] = ss
}

func (s *Simulator) get(id string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked()
	return s.sessions[id]
}

// sweepLocked forgets sessions that expired more than a SessionTTL ago: until
// then a call gets 410 session_expired, which the kiosk explains better than
// 404. Forgetting drops the session's personal data, code and key.
func (s *Simulator) sweepLocked() {
	now := s.cfg.Now()
	for id, ss := range s.sessions {
		if now.After(ss.expiresAt.Add(s.cfg.SessionTTL)) {
			delete(s.sessions, id)
		}
	}
}

// begin finds the call's session and answers 404 or 410 itself when there is
// none to work on. For the slow trigger it first waits SlowDelay in real time
// (it stands for network latency, which the client's real deadline measures),
// giving up with the request's context.
func (s *Simulator) begin(w http.ResponseWriter, r *http.Request) (*session, bool) {
	ss := s.get(r.PathValue("id"))
	if ss == nil {
		writeError(w, http.StatusNotFound, provider.CodeNotFound, "no such session", nil)
		return nil, false
	}
	if ss.iin == TriggerIINSlow {
		// Take the body first: net/http notices a client hanging up only
		// once the handler has read the request to its end.
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBiometricsBytes+1))
		if err != nil {
			return nil, false
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := s.cfg.Wait(r.Context(), s.cfg.SlowDelay); err != nil {
			s.log.Info().Str("sim_session", ss.id).Msg("slow trigger: client gave up")
			return nil, false
		}
	}
	if !s.cfg.Now().Before(ss.expiresAt) {
		writeError(w, http.StatusGone, provider.CodeSessionExpired, "session expired", nil)
		return nil, false
	}
	return ss, true
}
