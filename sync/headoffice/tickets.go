package headoffice

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// A session ticket works once in the whole office, not once per kiosk: the
// kiosk that admits a ticket claims its id here first. The claim is the
// office-wide ledger; each kiosk's own ledger stays the fallback when head
// office cannot be reached (docs/TICKETS.md).

// ticketSchema is the claims table, in the index database.
const ticketSchema = `CREATE TABLE IF NOT EXISTS ticket_claims (
	tid        TEXT PRIMARY KEY,
	kiosk_cn   TEXT NOT NULL,  -- the claiming kiosk's client certificate CN
	claimed_at TEXT NOT NULL,  -- RFC 3339, UTC
	expires_at TEXT NOT NULL   -- the ticket's own expiry; the claim may be purged after it
)`

// CodeTicketUsed answers a claim of a ticket another kiosk claimed first.
const CodeTicketUsed = "ticket_used"

// maxTicketID bounds a ticket id (a UUID) in a claim's path.
const maxTicketID = 64

// ClaimRequest is the body of POST /v1/tickets/{tid}/claim.
type ClaimRequest struct {
	ExpiresAt time.Time `json:"expires_at"`
}

// ClaimResult answers a claim: which kiosk holds the ticket.
type ClaimResult struct {
	TID   string `json:"tid"`
	Kiosk string `json:"kiosk"`
}

// claimTicket records that the client's kiosk uses ticket tid: 201 when new,
// 200 when that kiosk already holds it (a retried claim), 409 when another
// kiosk does. Expired claims are dropped first, so the table stays small.
func (s *Server) claimTicket(w http.ResponseWriter, r *http.Request) {
	cn, ok := clientCN(r)
	if !ok {
		s.fail(w, http.StatusUnauthorized, CodeUnauthorized, "a verified client certificate is required")
		return
	}
	tid := r.PathValue("tid")
	if !ValidID(tid) || len(tid) > maxTicketID {
		s.fail(w, http.StatusBadRequest, CodeBadRequest, "ticket id must be a lowercase UUID")
		return
	}
	var req ClaimRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.ExpiresAt.IsZero() {
		s.fail(w, http.StatusBadRequest, CodeBadRequest, "the body must be {\"expires_at\": RFC 3339}")
		return
	}
	log := s.cfg.Log.With().Str("kiosk", cn).Str("tid", tid).Logger()
	now := s.cfg.Now().UTC()
	ctx, cancel := context.WithTimeout(r.Context(), indexTimeout)
	defer cancel()
	// A connection made before its kiosk was revoked (TLSConfig refuses
	// new ones) claims nothing.
	if _, revoked, err := s.clientRevoked(ctx, cn); err != nil || revoked {
		if err != nil {
			log.Error().Err(err).Msg("ticket claim failed: kiosk register")
			s.fail(w, http.StatusInternalServerError, CodeInternal, "try again later")
			return
		}
		log.Warn().Msg("ticket claim refused: kiosk revoked")
		s.fail(w, http.StatusForbidden, CodeForbidden, "this kiosk is revoked at head office")
		return
	}
	holder, created, err := s.cfg.Index.ClaimTicket(ctx, tid, cn, now, req.ExpiresAt.UTC())
	if err != nil {
		log.Error().Err(err).Msg("ticket claim failed")
		s.fail(w, http.StatusInternalServerError, CodeInternal, "try again later")
		return
	}
	switch {
	case holder != cn:
		log.Warn().Str("holder", holder).Msg("ticket refused: already used at another kiosk")
		s.fail(w, http.StatusConflict, CodeTicketUsed, "the ticket is already used at another kiosk of the office")
	case created:
		log.Info().Msg("ticket claimed")
		writeJSON(w, http.StatusCreated, ClaimResult{TID: tid, Kiosk: cn})
	default:
		writeJSON(w, http.StatusOK, ClaimResult{TID: tid, Kiosk: cn})
	}
}

// ClaimTicket implements Index: the purge, the insert unless a claim is
// held and the read of the holder in one transaction.
func (x *SQLiteIndex) ClaimTicket(ctx context.Context, tid, cn string, now, exp time.Time) (holder string, created bool, err error) {
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return "", false, fmt.Errorf("claim ticket: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	at := now.Format(time.RFC3339Nano)
	if _, err := tx.ExecContext(ctx, `DELETE FROM ticket_claims WHERE expires_at < ?`, at); err != nil {
		return "", false, fmt.Errorf("claim ticket: purge: %w", err)
	}
	res, err := tx.ExecContext(ctx,
		`INSERT INTO ticket_claims (tid, kiosk_cn, claimed_at, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT(tid) DO NOTHING`,
		tid, cn, at, exp.Format(time.RFC3339Nano))
	if err != nil {
		return "", false, fmt.Errorf("claim ticket: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return cn, true, tx.Commit()
	}
	err = tx.QueryRowContext(ctx, `SELECT kiosk_cn FROM ticket_claims WHERE tid = ?`, tid).Scan(&holder)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, errors.New("claim ticket: the claim vanished")
	}
	if err != nil {
		return "", false, fmt.Errorf("claim ticket: %w", err)
	}
	return holder, false, tx.Commit()
}
