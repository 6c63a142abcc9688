package headoffice

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"almatel.kz/signkiosk/sync/heartbeat"
)

// KioskBeat is a kiosk's newest heartbeat as head office keeps it.
type KioskBeat struct {
	Kiosk      string
	Beat       heartbeat.Beat
	ReceivedAt time.Time // head office's clock
	OffsetMS   int64     // the kiosk's clock minus head office's at the beat
	Beats      int64     // beats received from this kiosk so far
}

// Silent reports whether the kiosk missed two beats as of now.
func (b KioskBeat) Silent(now time.Time) bool { return now.Sub(b.ReceivedAt) > heartbeat.SilentAfter }

// heartbeat records the client kiosk's beat and answers with head
// office's time and the kiosk's clock offset. Only an enrolled kiosk in
// service beats: its client certificate says which.
func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request) {
	cn, ok := clientCN(r)
	if !ok {
		s.fail(w, http.StatusUnauthorized, CodeUnauthorized, "a verified client certificate is required")
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, heartbeat.MaxBody+1))
	if err != nil {
		s.fail(w, http.StatusBadRequest, CodeBadRequest, "the beat could not be read")
		return
	}
	beat, err := heartbeat.Parse(raw)
	if err != nil {
		s.fail(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	log := s.cfg.Log.With().Str("kiosk", cn).Logger()
	ctx, cancel := context.WithTimeout(r.Context(), indexTimeout)
	defer cancel()
	k, known, err := s.cfg.Index.Kiosk(ctx, cn)
	switch {
	case err != nil:
		log.Error().Err(err).Msg("heartbeat not recorded: kiosk register")
		s.fail(w, http.StatusInternalServerError, CodeInternal, "try again later")
		return
	case !known:
		s.fail(w, http.StatusForbidden, CodeForbidden, "this kiosk is not enrolled at head office")
		return
	case k.Revoked():
		s.fail(w, http.StatusForbidden, CodeForbidden, "this kiosk is revoked at head office")
		return
	}
	now := s.cfg.Now().UTC()
	kb := KioskBeat{Kiosk: cn, Beat: beat, ReceivedAt: now, OffsetMS: beat.SentAt.Sub(now).Milliseconds()}
	if err := s.cfg.Index.RecordBeat(ctx, kb); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			log.Warn().Err(err).Msg("heartbeat not recorded: index slow")
		} else {
			log.Error().Err(err).Msg("heartbeat not recorded")
		}
		s.fail(w, http.StatusInternalServerError, CodeInternal, "try again later")
		return
	}
	writeJSON(w, http.StatusOK, heartbeat.Ack{ReceivedAt: now, OffsetMS: kb.OffsetMS})
}
