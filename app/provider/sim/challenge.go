package sim

import (
	"crypto/rand"
	"math/big"
	"net/http"
	"time"

	"github.com/google/uuid"

	"almatel.kz/signkiosk/app/provider"
)

// challenge is one issued liveness challenge; guarded by its session's mu.
type challenge struct {
	provider.BiometricChallenge
	issuedAt time.Time
	used     bool // a submission named it: it is never judged again
}

// maxChallengesPerAttempt bounds the challenges a session may ask for, per
// attempt it has: a kiosk that asks and never answers cannot draw without end.
const maxChallengesPerAttempt = 2

// handleChallenge issues the challenge of the next attempt: an id, a fresh
// nonce, 1–3 distinct moves in random order, and its expiry. The moves are
// the provider's choice; the kiosk only acts them out.
func (s *Simulator) handleChallenge(w http.ResponseWriter, r *http.Request) {
	ss, ok := s.begin(w, r)
	if !ok {
		return
	}
	moves := s.chooseMoves()
	nonce := make([]byte, 32)
	if _, err := rand.Read(nonce); err != nil {
		writeError(w, http.StatusInternalServerError, provider.CodeInternal, "no randomness", nil)
		return
	}
	now := s.cfg.Now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	switch {
	case !ss.privacy:
		writeError(w, http.StatusConflict, provider.CodeWrongState, "the privacy consent comes first", nil)
		return
	case ss.bioFailed || ss.issued >= maxChallengesPerAttempt*s.cfg.BiometricAttempts:
		ss.bioFailed = true
		writeError(w, http.StatusTooManyRequests, provider.CodeBiometricFailed, "biometric attempts exhausted", intPtr(0))
		return
	}
	ch := &challenge{BiometricChallenge: provider.BiometricChallenge{
		ChallengeID: uuid.NewString(), Nonce: nonce, Moves: moves, ExpiresAt: now.Add(s.cfg.ChallengeTTL),
	}, issuedAt: now}
	if ss.challenges == nil {
		ss.challenges = map[string]*challenge{}
	}
	ss.challenges[ch.ChallengeID] = ch
	ss.issued++
	s.log.Info().Str("sim_session", ss.id).Str("challenge", ch.ChallengeID).Strs("moves", moves).Msg("liveness challenge issued")
	writeJSON(w, http.StatusCreated, ch.BiometricChallenge)
}

// chooseMoves is Config.Moves, or 1–3 distinct moves in random order.
func (s *Simulator) chooseMoves() []string {
	if s.cfg.Moves != nil {
		return s.cfg.Moves()
	}
	moves := append([]string(nil), provider.Moves...)
	for i := len(moves) - 1; i > 0; i-- { // Fisher–Yates
		j := randInt(i + 1)
		moves[i], moves[j] = moves[j], moves[i]
	}
	return moves[:1+randInt(len(moves))]
}

// randInt is uniform in [0, n), from crypto/rand: the sequence must not be
// predictable to whoever prepares frames in advance.
func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic("sim: crypto/rand failed: " + err.Error()) // the platform's randomness is gone
	}
	return int(v.Int64())
}
