package headoffice

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/pack"
)

const (
	// retryAfter is the Retry-After of a 429, in seconds.
	retryAfter = 5
	// indexTimeout bounds writing the index row of a stored body, which no
	// longer waits on the kiosk (see put).
	indexTimeout = 30 * time.Second
)

// put receives one package: the body is spooled to disk first, holding no
// slot; then, one slot and its weight in memory at a time, it is verified,
// stored and indexed.
func (s *Server) put(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	// Until the body is all read, every answer closes the connection:
	// otherwise the server would first read what is left of the body, at
	// the client's pace.
	unread := func() { w.Header().Set("Connection", "close") }
	cn, ok := clientCN(r)
	if !ok {
		unread()
		s.fail(w, http.StatusUnauthorized, CodeUnauthorized, "a verified client certificate is required")
		return
	}
	log := s.cfg.Log.With().Str("kiosk", cn).Logger()
	// refuse answers a client error and leaves an operator a trace of it.
	refuse := func(status int, code, msg string) {
		log.Warn().Int("status", status).Str("code", code).Msg("upload refused")
		s.fail(w, status, code, msg)
	}
	// A connection made before its kiosk was revoked: TLSConfig refuses
	// new ones.
	if k, revoked, err := s.clientRevoked(ctx, cn); err != nil || revoked {
		unread()
		if err != nil {
			s.notStored(w, log, err)
			return
		}
		refuse(http.StatusForbidden, CodeForbidden, fmt.Sprintf("kiosk %s is revoked at head office", k.ID))
		return
	}
	tooLarge := func() {
		refuse(http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("package larger than %d bytes", s.cfg.MaxSize))
	}
	if !ValidID(id) {
		unread()
		refuse(http.StatusBadRequest, CodeBadRequest, "package id must be a lowercase UUID")
		return
	}
	log = log.With().Str("package", id).Logger()
	want, err := parseContentDigest(r.Header.Values("Content-Digest"))
	if err != nil {
		unread()
		refuse(http.StatusBadRequest, CodeBadDigest, err.Error())
		return
	}
	if r.ContentLength > s.cfg.MaxSize {
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

	body, err := s.spool(w, r)
	if err != nil {
		unread()
		switch {
		case errors.Is(err, errTooLarge):
			tooLarge()
		case errors.Is(err, errTooSlow):
			// Says how much came in how long; a 408 the kiosk retries.
			log.Warn().Int("status", http.StatusRequestTimeout).Str("code", CodeTooSlow).Err(err).Msg("upload refused")
			s.fail(w, http.StatusRequestTimeout, CodeTooSlow, fmt.Sprintf(
				"the body stalled or came slower than %d bytes/s; retry", s.cfg.MinRate))
		case errors.Is(err, errSpool):
			log.Error().Err(err).Msg("upload not received: cannot spool its body; nothing stored")
			s.fail(w, http.StatusServiceUnavailable, CodeUnavailable, "head office cannot take the package now; retry later")
		default:
			// Mostly a kiosk that went away mid-body, which reads no answer.
			log.Warn().Err(err).Msg("upload not received: its body could not be read; nothing stored")
			s.fail(w, http.StatusBadRequest, CodeBadRequest, "cannot read the request body")
		}
		return
	}
	defer body.Close()
	if !hmac.Equal(body.sum[:], want) {
		refuse(http.StatusBadRequest, CodeBadDigest, "body does not match Content-Digest")
		return
	}
	digest := hex.EncodeToString(body.sum[:])
	log = log.With().Str("digest", digest).Logger()

	// A retry of a package already indexed needs no second verification:
	// the same digest is the same bytes. Other bytes under a held id are
	// verified first: only a valid package that names this id is a
	// conflict (409, an alarm); anything else is refused for what it is.
	if rec, ok, err := s.cfg.Index.Package(ctx, id); err != nil {
		s.notStored(w, log, err)
		return
	} else if ok && rec.Digest == digest {
		s.answerHeld(w, log, rec, digest)
		return
	}

	if err := s.slots.acquire(ctx, 1); err != nil {
		// Normally the client is gone, but never fall through to an
		// implicit 200: that would read as "stored".
		s.notStored(w, log, err)
		return
	}
	defer s.slots.release(1)
	if !s.verify(ctx, w, log, cn, id, body) {
		return
	}
	s.store(ctx, w, log, Record{ID: id, Digest: digest, Size: body.size, KioskCN: cn, Report: body.report}, body)
}

// verify runs pack.Verify on the spooled body once its weight fits in
// MaxMemory, then judges the kiosk that signed it, and answers if either
// refuses it.
func (s *Server) verify(ctx context.Context, w http.ResponseWriter, log zerolog.Logger, cn, id string, body *spooled) bool {
	u, err := unpackedSize(body.f, body.size)
	if err != nil {
		// Only errDirectoryTooLarge: unreadable ZIPs are pack.Verify's to
		// describe.
		log.Warn().Msg("package refused: invalid")
		writeJSON(w, http.StatusUnprocessableEntity, ErrorBody{Error: CodeInvalidPackage, Message: "the package does not verify",
			Problems: []string{fmt.Sprintf("the ZIP directory is larger than a package's can be (over %d bytes)", maxDirectoryRead)}})
		return false
	}
	wt := s.weight(body.size, u)
	if err := s.mem.acquire(ctx, wt); err != nil {
		s.notStored(w, log, err)
		return false
	}
	defer s.mem.release(wt)
	zipBytes := make([]byte, body.size)
	if _, err := body.f.ReadAt(zipBytes, 0); err != nil {
		s.notStored(w, log, fmt.Errorf("read spooled body: %w", err))
		return false
	}
	// The path's id must be the one the signed manifest names: a package
	// filed under another's id would take that id from it for good.
	opts := pack.VerifyOptions{Roots: s.cfg.Roots, DeviceRoots: s.cfg.KioskRoots, PackageID: id,
		Trust: "head office roots", MaxTotal: s.cfg.MaxSize, At: s.cfg.Now()}
	sum, probs := pack.Verify(zipBytes, opts)
	report := sum.Report(probs)
	// Who signed it before whether it verifies: an unknown or revoked
	// kiosk, or one delivering another's package, is refused for that.
	kioskChecks, refusal, err := s.checkKiosk(ctx, cn, sum)
	if err != nil {
		s.notStored(w, log, err)
		return false
	}
	if refusal != nil {
		log.Warn().Str("check", refusal.check).Str("signer", sum.Kiosk).Msg("package refused: kiosk")
		writeJSON(w, http.StatusUnprocessableEntity, ErrorBody{Error: CodeInvalidPackage, Message: refusal.msg,
			Problems: []string{refusal.msg}, Check: refusal.check})
		return false
	}
	if report.Passed() && kioskChecks != nil {
		report.Package.Checks = append(report.Package.Checks, kioskChecks...)
		if b, err := json.Marshal(report); err == nil {
			body.report = b
		}
		return true
	}
	lines := make([]string, len(probs))
	for i, p := range probs {
		lines[i] = string(p)
	}
	check := "package"
	if c := report.Failing(); c != nil {
		check = c.ID
	}
	if len(lines) == 0 {
		lines = []string{report.Reason} // INDETERMINATE: not long-term valid either
	}
	// Problem lines name files, checks and kiosk ids, never personal data.
	log.Warn().Int("problems", len(lines)).Str("check", check).Str("indication", string(report.Indication)).Msg("package refused: invalid")
	msg := "the package does not verify: "
	if sum.Result == nil || !sum.Result.Report.Passed() {
		msg = "the package is not long-term valid: "
	}
	writeJSON(w, http.StatusUnprocessableEntity, ErrorBody{Error: CodeInvalidPackage,
		Message: msg + report.Reason, Problems: lines, Check: check})
	return false
}

// store puts the verified body into Storage, then its index row.
func (s *Server) store(ctx context.Context, w http.ResponseWriter, log zerolog.Logger, rec Record, body *spooled) {
	var err error
	if s.adopter != nil {
		_, err = s.adopter.adopt(ctx, rec.ID, rec.Digest, body.f)
	} else {
		_, err = s.cfg.Storage.Put(ctx, rec.ID, rec.Digest, io.NewSectionReader(body.f, 0, body.size), body.size)
	}
	if err != nil {
		if errors.Is(err, ErrConflict) {
			s.conflict(w, log)
			return
		}
		s.storeFailed(w, log, err)
		return
	}
	// The body is durable; now the index row. A crash between the two
	// leaves an unindexed body, which the kiosk's retry indexes (Put then
	// reports it already held with the same digest). The row no longer
	// waits on the kiosk: one that leaves now is answered from it on retry.
	ictx, cancel := context.WithTimeout(context.WithoutCancel(ctx), indexTimeout)
	defer cancel()
	rec.ReceivedAt = s.cfg.Now().UTC()
	inserted, err := s.cfg.Index.AddPackage(ictx, rec)
	if err != nil {
		s.notIndexed(w, log, err)
		return
	}
	if !inserted {
		// A concurrent upload of the same id indexed it first.
		held, ok, err := s.cfg.Index.Package(ictx, rec.ID)
		if err != nil || !ok {
			s.notIndexed(w, log, fmt.Errorf("index re-read %s: found=%v: %w", rec.ID, ok, err))
			return
		}
		s.answerHeld(w, log, held, rec.Digest)
		return
	}
	ev := log.Info().Int64("size", rec.Size)
	if ctx.Err() != nil {
		ev.Msg("package stored and indexed; the kiosk left before its answer, and its retry will be answered 200")
	} else {
		ev.Msg("package stored")
	}
	writeJSON(w, http.StatusCreated, PutResult{ID: rec.ID, Digest: rec.Digest, Status: "created"})
}

func (s *Server) answerHeld(w http.ResponseWriter, log zerolog.Logger, rec Record, digest string) {
	if rec.Digest != digest {
		s.conflict(w, log)
		return
	}
	log.Info().Msg("package already held")
	writeJSON(w, http.StatusOK, PutResult{ID: rec.ID, Digest: digest, Status: "already_held"})
}

// conflict is an alarm: a kiosk produced two different packages under one
// id. The held one is never replaced; people must look.
func (s *Server) conflict(w http.ResponseWriter, log zerolog.Logger) {
	log.Error().Str("alarm", "package_conflict").Msg("ALARM: same package id with another digest; held package kept")
	s.fail(w, http.StatusConflict, CodeConflict, "package id already held with another digest")
}

// notStored answers a failure before the body reached Storage.
func (s *Server) notStored(w http.ResponseWriter, log zerolog.Logger, err error) {
	if errors.Is(err, context.Canceled) {
		// The kiosk went away mid-request (crash, power, network): its
		// retry will be answered; not a server fault.
		log.Warn().Err(err).Msg("upload abandoned by the kiosk before it was stored; nothing stored")
		s.fail(w, http.StatusServiceUnavailable, CodeInternal, "upload abandoned; retry")
		return
	}
	log.Error().Err(err).Msg("package not stored: nothing stored")
	s.fail(w, http.StatusInternalServerError, CodeInternal, "the package could not be stored; retry later")
}

// storeFailed answers a failed Storage.Put: the body is not durably held,
// though a copy may be left that the retry's Put completes.
func (s *Server) storeFailed(w http.ResponseWriter, log zerolog.Logger, err error) {
	if errors.Is(err, context.Canceled) {
		log.Warn().Err(err).Msg("upload abandoned by the kiosk while it was being stored; not stored, its retry will store it")
		s.fail(w, http.StatusServiceUnavailable, CodeInternal, "upload abandoned; retry")
		return
	}
	log.Error().Err(err).Msg("package not stored: storage failed; the kiosk's retry will store it")
	s.fail(w, http.StatusInternalServerError, CodeInternal, "the package could not be stored; retry later")
}

// notIndexed answers a failure after the body was stored: it is held but
// not indexed, so not yet visible; the kiosk's retry finds it in Storage
// and writes the row.
func (s *Server) notIndexed(w http.ResponseWriter, log zerolog.Logger, err error) {
	log.Error().Err(err).Msg("package stored, index row not written; the kiosk's retry will index it")
	s.fail(w, http.StatusInternalServerError, CodeInternal, "the package could not be indexed; retry later")
}
