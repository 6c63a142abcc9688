// Package headoffice is the reference head-office receiver: kiosks PUT their
// signed packages over mTLS, it checks the client certificate, the
// Content-Digest and the package itself (pack.Verify), stores each package
// durably through a Storage and indexes it in its own SQLite, answering
// idempotently (201 new, 200 already held, 409 same id with another digest).
// Subscribers fetch their package through an expiring signed link served by
// a separate handler that needs no client certificate.
package headoffice

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/pack"
)

// Defaults for Config's zero values.
const (
	DefaultMaxSize = 64 << 20
	DefaultLinkTTL = 24 * time.Hour
	minLinkKey     = 16
)

// Config configures a Server.
type Config struct {
	Storage Storage
	// Index is the receiver's own database, from OpenIndex.
	Index *sql.DB
	Log   zerolog.Logger
	Now   func() time.Time // default time.Now
	// MaxSize bounds an upload's body (default 64 MiB).
	MaxSize int64
	// DevicePubs are known kiosks' device keys by client certificate CN.
	// When a kiosk's key is known its package's manifest signature must
	// verify; otherwise it is not checked (the mTLS identity still is).
	DevicePubs map[string]ed25519.PublicKey
	// Roots, when set, are the CAs a package's signing certificate must
	// chain to; nil checks up to the package's own root (see pack.Verify).
	Roots *x509.CertPool
	// LinkKey is the HMAC key of download links (at least 16 bytes).
	LinkKey []byte
	// LinkTTL is how long a download link works (default 24 h).
	LinkTTL time.Duration
	// MaxInFlight bounds uploads held in memory and verified at once
	// (default 2×GOMAXPROCS, at least 4); more wait their turn. Memory is
	// bounded by MaxInFlight × MaxSize.
	MaxInFlight int
}

// Server is the receiver. Besides its config it holds only an upload
// semaphore, so several can run over one Storage and Index.
type Server struct {
	cfg   Config
	slots chan struct{} // upload semaphore, MaxInFlight deep
}

// New checks cfg and fills its defaults.
func New(cfg Config) (*Server, error) {
	if cfg.Storage == nil {
		return nil, errors.New("head office: no storage")
	}
	if cfg.Index == nil {
		return nil, errors.New("head office: no index database")
	}
	if len(cfg.LinkKey) < minLinkKey {
		return nil, fmt.Errorf("head office: link key shorter than %d bytes", minLinkKey)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.LinkTTL <= 0 {
		cfg.LinkTTL = DefaultLinkTTL
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = max(4, 2*runtime.GOMAXPROCS(0))
	}
	return &Server{cfg: cfg, slots: make(chan struct{}, cfg.MaxInFlight)}, nil
}

// Error codes in JSON error bodies; clients may rely on them.
const (
	CodeBadDigest      = "bad_digest"
	CodeTooLarge       = "too_large"
	CodeInvalidPackage = "invalid_package"
	CodeConflict       = "conflict"
	CodeUnauthorized   = "unauthorized"
	CodeBadRequest     = "bad_request"
	CodeInternal       = "internal"
	CodeUnavailable    = "unavailable"
	CodeForbidden      = "forbidden"
	CodeExpired        = "expired"
	CodeNotFound       = "not_found"
)

// ErrorBody is the JSON body of every error answer.
type ErrorBody struct {
	Error    string   `json:"error"`
	Message  string   `json:"message"`
	Problems []string `json:"problems,omitempty"`
}

// PutResult is the JSON body of a 200 or 201 answer to a PUT.
type PutResult struct {
	ID     string `json:"id"`
	Digest string `json:"digest"` // lowercase hex SHA-256
	Status string `json:"status"` // "created" or "already_held"
}

// Handler serves the kiosk API. Serve it behind TLS that requires and
// verifies client certificates (pki.ServerTLS): PUT /v1/packages/{id} and
// GET /v1/health. Health sits behind the same mTLS listener, so a monitor
// needs a client certificate; DownloadHandler answers health without one.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/packages/{id}", s.put)
	mux.HandleFunc("GET /v1/health", health)
	return mux
}

// DownloadHandler serves GET /v1/p/{id} with a token from Link, and
// GET /v1/health. It needs no client certificate — the subscriber's phone
// opens it — so serve it on its own listener.
func (s *Server) DownloadHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/p/{id}", s.download)
	mux.HandleFunc("GET /v1/health", health)
	return mux
}

func health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// validID accepts canonical lowercase UUIDs only, so each package has one
// spelling (one file name, one index key).
func validID(id string) bool {
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id
}

// clientCN is the CN of the verified client certificate, if any.
func clientCN(r *http.Request) (string, bool) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return "", false
	}
	cn := r.TLS.VerifiedChains[0][0].Subject.CommonName
	return cn, cn != ""
}

func (s *Server) put(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	cn, ok := clientCN(r)
	if !ok {
		s.fail(w, http.StatusUnauthorized, CodeUnauthorized, "a verified client certificate is required")
		return
	}
	log := s.cfg.Log.With().Str("kiosk", cn).Logger()
	// refuse answers a client error and leaves an operator a trace of it.
	refuse := func(status int, code, msg string) {
		log.Warn().Int("status", status).Str("code", code).Msg("upload refused")
		s.fail(w, status, code, msg)
	}
	if !validID(id) {
		refuse(http.StatusBadRequest, CodeBadRequest, "package id must be a lowercase UUID")
		return
	}
	log = log.With().Str("package", id).Logger()
	want, err := parseContentDigest(r.Header.Values("Content-Digest"))
	if err != nil {
		refuse(http.StatusBadRequest, CodeBadDigest, err.Error())
		return
	}
	if r.ContentLength > s.cfg.MaxSize {
		refuse(http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("package larger than %d bytes", s.cfg.MaxSize))
		return
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		// Normally the client is gone, but never fall through to an
		// implicit 200: that would read as "stored".
		s.fail(w, http.StatusServiceUnavailable, CodeUnavailable, "head office busy; retry later")
		return
	}
	// Read at most MaxSize+1 bytes whatever Content-Length says: one byte
	// over is enough to refuse.
	buf := new(bytes.Buffer)
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + 1)
	}
	_, err = buf.ReadFrom(io.LimitReader(r.Body, s.cfg.MaxSize+1))
	body := buf.Bytes()
	if err != nil {
		refuse(http.StatusBadRequest, CodeBadRequest, "cannot read the request body")
		return
	}
	if int64(len(body)) > s.cfg.MaxSize {
		refuse(http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("package larger than %d bytes", s.cfg.MaxSize))
		return
	}
	sum := sha256.Sum256(body)
	if !hmac.Equal(sum[:], want) {
		refuse(http.StatusBadRequest, CodeBadDigest, "body does not match Content-Digest")
		return
	}
	digest := hex.EncodeToString(sum[:])
	log = log.With().Str("digest", digest).Logger()

	// A retry of a package already indexed needs no second verification:
	// the same digest is the same bytes.
	if rec, ok, err := lookup(ctx, s.cfg.Index, id); err != nil {
		s.internal(w, log, err)
		return
	} else if ok {
		s.answerHeld(w, log, rec, digest)
		return
	}

	opts := pack.VerifyOptions{Roots: s.cfg.Roots, MaxTotal: s.cfg.MaxSize}
	if pub, ok := s.cfg.DevicePubs[cn]; ok {
		opts.DevicePub = pub
	}
	if _, probs := pack.Verify(body, opts); len(probs) > 0 {
		lines := make([]string, len(probs))
		for i, p := range probs {
			lines[i] = string(p)
		}
		// Problem lines name files and checks, never personal data.
		log.Warn().Int("problems", len(lines)).Msg("package refused: invalid")
		writeJSON(w, http.StatusUnprocessableEntity, ErrorBody{Error: CodeInvalidPackage, Message: "the package does not verify", Problems: lines})
		return
	}

	if _, err := s.cfg.Storage.Put(ctx, id, digest, bytes.NewReader(body), int64(len(body))); err != nil {
		if errors.Is(err, ErrConflict) {
			s.conflict(w, log)
			return
		}
		s.internal(w, log, err)
		return
	}
	// The body is durable; now the index row. A crash between the two
	// leaves an unindexed body, which the kiosk's retry indexes (Put then
	// reports it already held with the same digest).
	rec := Record{ID: id, Digest: digest, Size: int64(len(body)), KioskCN: cn, ReceivedAt: s.cfg.Now().UTC()}
	inserted, err := insert(ctx, s.cfg.Index, rec)
	if err != nil {
		s.internal(w, log, err)
		return
	}
	if !inserted {
		// A concurrent upload of the same id indexed it first.
		held, ok, err := lookup(ctx, s.cfg.Index, id)
		if err != nil || !ok {
			s.internal(w, log, fmt.Errorf("index re-read %s: found=%v: %w", id, ok, err))
			return
		}
		s.answerHeld(w, log, held, digest)
		return
	}
	log.Info().Int64("size", rec.Size).Msg("package stored")
	writeJSON(w, http.StatusCreated, PutResult{ID: id, Digest: digest, Status: "created"})
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

func (s *Server) internal(w http.ResponseWriter, log zerolog.Logger, err error) {
	if errors.Is(err, context.Canceled) {
		// The kiosk went away mid-request (crash, power, network): nothing
		// was stored and its retry will be answered; not a server fault.
		log.Warn().Err(err).Msg("upload abandoned by the kiosk; nothing stored")
		s.fail(w, http.StatusServiceUnavailable, CodeInternal, "upload abandoned; retry")
		return
	}
	log.Error().Err(err).Msg("package not stored")
	s.fail(w, http.StatusInternalServerError, CodeInternal, "the package could not be stored; retry later")
}

func (s *Server) fail(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{Error: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do
}

// parseContentDigest finds the sha-256 member of RFC 9530 Content-Digest
// headers (a structured dictionary: `sha-256=:BASE64:`, other algorithms
// ignored).
func parseContentDigest(values []string) ([]byte, error) {
	if len(values) == 0 {
		return nil, errors.New("a Content-Digest header with sha-256 is required")
	}
	for _, v := range values {
		for member := range strings.SplitSeq(v, ",") {
			key, val, ok := strings.Cut(strings.TrimSpace(member), "=")
			if !ok || strings.TrimSpace(key) != "sha-256" {
				continue
			}
			val = strings.TrimSpace(val)
			if len(val) < 2 || val[0] != ':' || val[len(val)-1] != ':' {
				return nil, errors.New("the Content-Digest sha-256 value must be base64 between colons")
			}
			b, err := base64.StdEncoding.DecodeString(val[1 : len(val)-1])
			if err != nil || len(b) != sha256.Size {
				return nil, errors.New("the Content-Digest sha-256 value is not 32 bytes of base64")
			}
			return b, nil
		}
	}
	return nil, errors.New("the Content-Digest header has no sha-256 member")
}

// ContentDigest is the Content-Digest header value for body.
func ContentDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
}

// Link is a download URL for package id, valid for LinkTTL from now:
// base/v1/p/ID?exp=UNIX&sig=HEX(HMAC-SHA256(LinkKey, "ID|EXP")).
func (s *Server) Link(base, id string, now time.Time) string {
	exp := strconv.FormatInt(now.Add(s.cfg.LinkTTL).Unix(), 10)
	return strings.TrimRight(base, "/") + "/v1/p/" + id + "?exp=" + exp + "&sig=" + hex.EncodeToString(s.linkMAC(id, exp))
}

func (s *Server) linkMAC(id, exp string) []byte {
	m := hmac.New(sha256.New, s.cfg.LinkKey)
	m.Write([]byte(id + "|" + exp))
	return m.Sum(nil)
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	q := r.URL.Query()
	exp, sig := q.Get("exp"), q.Get("sig")
	// The signature is checked before the expiry so a forged link learns
	// nothing, not even whether it would have been expired.
	got, err := hex.DecodeString(sig)
	if err != nil || !validID(id) || !hmac.Equal(got, s.linkMAC(id, exp)) {
		s.fail(w, http.StatusForbidden, CodeForbidden, "invalid download link")
		return
	}
	expUnix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		s.fail(w, http.StatusForbidden, CodeForbidden, "invalid download link")
		return
	}
	if s.cfg.Now().Unix() > expUnix {
		s.fail(w, http.StatusGone, CodeExpired, "the download link has expired")
		return
	}
	log := s.cfg.Log.With().Str("package", id).Logger()
	// Only indexed packages are visible: a body without its row was never
	// acknowledged.
	rec, ok, err := lookup(ctx, s.cfg.Index, id)
	if err != nil {
		log.Error().Err(err).Msg("download failed")
		s.fail(w, http.StatusInternalServerError, CodeInternal, "try again later")
		return
	}
	if !ok {
		s.fail(w, http.StatusNotFound, CodeNotFound, "no such package")
		return
	}
	rc, err := s.cfg.Storage.Get(ctx, id)
	if err != nil {
		log.Error().Err(err).Msg("download failed: indexed package missing from storage")
		s.fail(w, http.StatusInternalServerError, CodeInternal, "try again later")
		return
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="`+id+`.zip"`)
	h.Set("Content-Length", strconv.FormatInt(rec.Size, 10))
	h.Set("Cache-Control", "private, no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, rc); err != nil {
		log.Warn().Err(err).Msg("download interrupted")
		return
	}
	log.Info().Msg("package downloaded")
}
