package headoffice

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/failedsession"
	"almatel.kz/signkiosk/app/pack"
)

// A session that ended before signing leaves a signed, PII-free record
// (app/failedsession) that the kiosk delivers like a package: PUT
// /v1/failed-sessions/{id} over the same mTLS, checked the same way (an
// enrolled kiosk, not revoked, the one delivering it, its device
// certificate from head office's kiosk CA), answered the same way (201
// new, 200 the same bytes again, 409 other bytes under a held id, 422
// naming the check).

// CodeInvalidRecord is the error of a 422 for a failed-session record.
const CodeInvalidRecord = "invalid_record"

// maxClockSkew bounds how far a record's end may lie in head office's
// future: the kiosk's clock may be a little ahead, not days.
const maxClockSkew = 10 * time.Minute

func (s *Server) putFailed(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	unread := func() { w.Header().Set("Connection", "close") }
	cn, ok := clientCN(r)
	if !ok {
		unread()
		s.fail(w, http.StatusUnauthorized, CodeUnauthorized, "a verified client certificate is required")
		return
	}
	log := s.cfg.Log.With().Str("kiosk", cn).Logger()
	refuse := func(status int, code, msg string) {
		log.Warn().Int("status", status).Str("code", code).Msg("failed-session record refused")
		s.fail(w, status, code, msg)
	}
	if k, revoked, err := s.clientRevoked(ctx, cn); err != nil || revoked {
		unread()
		if err != nil {
			s.recordNotStored(w, log, err)
			return
		}
		refuse(http.StatusForbidden, CodeForbidden, fmt.Sprintf("kiosk %s is revoked at head office", k.ID))
		return
	}
	if !ValidID(id) {
		unread()
		refuse(http.StatusBadRequest, CodeBadRequest, "record id must be a lowercase UUID")
		return
	}
	log = log.With().Str("record", id).Logger()
	want, err := parseContentDigest(r.Header.Values("Content-Digest"))
	if err != nil {
		unread()
		refuse(http.StatusBadRequest, CodeBadDigest, err.Error())
		return
	}
	tooLarge := func() {
		refuse(http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("record larger than %d bytes", failedsession.MaxSize))
	}
	if r.ContentLength > failedsession.MaxSize {
		unread()
		tooLarge()
		return
	}
	if !s.kiosks.acquire(cn) {
		unread()
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		refuse(http.StatusTooManyRequests, CodeBusy,
			fmt.Sprintf("more than %d uploads from this kiosk at once; retry later", s.cfg.MaxPerKiosk))
		return
	}
	defer s.kiosks.release(cn)
	// A record is a few KiB: read whole, within one stall's time (a slow
	// client holds no slot meanwhile, only this small buffer).
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.ReadStall))
	body, err := io.ReadAll(io.LimitReader(r.Body, failedsession.MaxSize+1))
	if err != nil {
		unread()
		log.Warn().Err(err).Msg("failed-session record not received: its body could not be read; nothing stored")
		s.fail(w, http.StatusBadRequest, CodeBadRequest, "cannot read the request body")
		return
	}
	if len(body) > failedsession.MaxSize {
		unread()
		tooLarge()
		return
	}
	sum := sha256.Sum256(body)
	if !hmac.Equal(sum[:], want) {
		refuse(http.StatusBadRequest, CodeBadDigest, "body does not match Content-Digest")
		return
	}
	digest := hex.EncodeToString(sum[:])
	// The same bytes again are the same record: answered without a second
	// verification, as a package is.
	held, ok, err := s.cfg.Index.FailedDigest(ctx, id)
	if err != nil {
		s.recordNotStored(w, log, err)
		return
	}
	if ok && held == digest {
		log.Info().Msg("failed-session record already held")
		writeJSON(w, http.StatusOK, PutResult{ID: id, Digest: digest, Status: "already_held"})
		return
	}
	rec, refusal, err := s.verifyFailed(ctx, cn, id, body)
	if err != nil {
		s.recordNotStored(w, log, err)
		return
	}
	if refusal != nil {
		log.Warn().Str("check", refusal.check).Msg("failed-session record refused: invalid")
		writeJSON(w, http.StatusUnprocessableEntity, ErrorBody{Error: CodeInvalidRecord, Message: refusal.msg,
			Problems: []string{refusal.msg}, Check: refusal.check})
		return
	}
	if ok {
		// A valid record under a held id with other bytes: the kiosk made
		// two records under one id. Kept as it is; people must look.
		log.Error().Str("alarm", "record_conflict").Msg("ALARM: same failed-session record id with another digest; held record kept")
		s.fail(w, http.StatusConflict, CodeConflict, "record id already held with another digest")
		return
	}
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), indexTimeout)
	defer cancel()
	inserted, err := s.cfg.Index.AddFailed(ictx, FailedSession{Record: rec, Digest: digest, ReceivedAt: s.cfg.Now().UTC(), Body: body})
	if err != nil {
		s.recordNotStored(w, log, err)
		return
	}
	if !inserted {
		// A concurrent delivery of the same id was first.
		if held, _, err := s.cfg.Index.FailedDigest(ictx, id); err != nil || held != digest {
			s.fail(w, http.StatusConflict, CodeConflict, "record id already held with another digest")
			return
		}
		writeJSON(w, http.StatusOK, PutResult{ID: id, Digest: digest, Status: "already_held"})
		return
	}
	// Codes and ids only: the record holds no personal data, and the log
	// says no more than the record.
	log.Info().Str("office", rec.Office).Str("reason", rec.Reason).Str("step", rec.Step).Str("tid", rec.TicketID).
		Msg("failed session recorded")
	writeJSON(w, http.StatusCreated, PutResult{ID: id, Digest: digest, Status: "created"})
}

// verifyFailed judges a record as a package is judged: who signed it first
// (the register and the mTLS client), then what it is. A refusal names its
// check; an error is head office's own trouble.
func (s *Server) verifyFailed(ctx context.Context, cn, id string, body []byte) (failedsession.Record, *kioskRefusal, error) {
	refused := func(err error) (failedsession.Record, *kioskRefusal, error) {
		var p *failedsession.Problem
		if errors.As(err, &p) {
			return failedsession.Record{}, &kioskRefusal{p.Check, "the record does not verify: " + p.Msg}, nil
		}
		return failedsession.Record{}, nil, err
	}
	signed, err := failedsession.Parse(body)
	if err != nil {
		return refused(err)
	}
	if _, refusal, err := s.judgeSigner(ctx, cn, signed.Device, "record"); err != nil || refusal != nil {
		return failedsession.Record{}, refusal, err
	}
	rec, err := signed.Verify()
	if err != nil {
		return refused(err)
	}
	now := s.cfg.Now()
	if rec.EndedAt.After(now.Add(maxClockSkew)) {
		return refused(&failedsession.Problem{Check: failedsession.CheckFields,
			Msg: fmt.Sprintf("ended_at is more than %s after head office's clock", maxClockSkew)})
	}
	// As of the session's end, as a package's as of its signing time: a
	// certificate renewed since still vouches for what it signed then.
	if err := pack.VerifyDeviceChain(signed.Device, signed.Intermediates, s.cfg.KioskRoots, rec.EndedAt); err != nil {
		return refused(&failedsession.Problem{Check: failedsession.CheckDeviceChain,
			Msg: fmt.Sprintf("the device certificate does not chain to head office's kiosk CA as of the session's end: %v", err)})
	}
	if rec.RecordID != id {
		return refused(&failedsession.Problem{Check: failedsession.CheckRecordID,
			Msg: fmt.Sprintf("the record names record %s, not %s, the id it is put under", rec.RecordID, id)})
	}
	return rec, nil, nil
}

// recordNotStored answers head office's own failure: nothing stored, retry.
func (s *Server) recordNotStored(w http.ResponseWriter, log zerolog.Logger, err error) {
	if errors.Is(err, context.Canceled) {
		log.Warn().Err(err).Msg("failed-session record abandoned by the kiosk; nothing stored")
		s.fail(w, http.StatusServiceUnavailable, CodeInternal, "upload abandoned; retry")
		return
	}
	log.Error().Err(err).Msg("failed-session record not stored")
	s.fail(w, http.StatusInternalServerError, CodeInternal, "the record could not be stored; retry later")
}
