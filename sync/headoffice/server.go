// Package headoffice is the reference head-office receiver: kiosks PUT their
// signed packages over mTLS, it checks the client certificate, the
// Content-Digest, the package itself (pack.Verify, filed under the id its
// manifest names) and who made it (an enrolled kiosk, not revoked, the one
// delivering it: enrolment.go, kioskcheck.go), stores each package
// durably through a Storage and indexes it in an Index (its own SQLite,
// or PostgreSQL for replicas: sync/headoffice/postgres), answering
// idempotently (201 new, 200 already held, 409 same id with another digest).
// Subscribers fetch their package through an expiring signed link served by
// a separate handler that needs no client certificate.
package headoffice

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/sync/heartbeat"
)

// Defaults for Config's zero values.
const (
	DefaultMaxSize     = 64 << 20
	DefaultLinkTTL     = 24 * time.Hour
	DefaultMaxPerKiosk = 4 // the uploader's default concurrency
	DefaultMinRate     = 4 << 10
	DefaultRateGrace   = 10 * time.Second
	DefaultReadStall   = 20 * time.Second
	minLinkKey         = 16
)

// Config configures a Server.
type Config struct {
	Storage Storage
	// Index is the receiver's own database: OpenIndex, or PostgreSQL's.
	Index Index
	Log   zerolog.Logger
	Now   func() time.Time // default time.Now
	// MaxSize bounds an upload's body (default 64 MiB).
	MaxSize int64
	// Roots are the trusted CAs every package's long-term signature is
	// validated against (signer, time-stamp authority, OCSP responder);
	// required: nothing is taken on the package's word.
	Roots *x509.CertPool
	// KioskRoots are head office's kiosk CA (pki.PKI's CAPool), which
	// issues the device certificates that sign manifests; required. A
	// package also counts only when its device certificate is in the
	// register (Enrol) for a kiosk not revoked, and that kiosk delivers it.
	KioskRoots *x509.CertPool
	// LinkKey is the HMAC key of download links (at least 16 bytes).
	LinkKey []byte
	// LinkTTL is how long a download link works (default 24 h).
	LinkTTL time.Duration

	// A body is spooled to a temp file in SpoolDir as it arrives, hashed
	// on the way, and holds no memory and no slot until it is all there.
	// The default is the FileStorage's Dir, where a verified body is
	// linked into place rather than copied; else the system's temp dir.
	SpoolDir string
	// MaxInFlight bounds uploads verified and stored at once, a CPU and
	// disk bound (default 2×GOMAXPROCS, at least 4); more wait their turn.
	MaxInFlight int
	// MaxMemory bounds the live memory of uploads being verified at once
	// (default, and least allowed, 4 × MaxSize + 3 MiB: about 259 MiB for
	// 64 MiB packages). Each is charged its body plus three times what its
	// ZIP declares unpacked (capped at MaxSize, all pack.Verify unpacks),
	// plus 1 KiB an entry, at least 256 KiB, and waits, first come first
	// served, until that fits. Bodies in transit are on disk (32 KiB of
	// buffer each). For the heap, garbage included, see MemoryLimit.
	MaxMemory int64
	// MaxPerKiosk bounds one kiosk's uploads in flight, by client
	// certificate CN (default 4, the uploader's default concurrency);
	// more are answered 429 with Retry-After, which the kiosk retries.
	MaxPerKiosk int
	// A body must keep coming: each read within ReadStall (default 20 s)
	// and, after RateGrace (default 10 s), at MinRate bytes per second on
	// average since the upload started (default 4 KiB/s). A slower one is
	// cut off with 408, which the kiosk retries.
	MinRate   int64
	RateGrace time.Duration
	ReadStall time.Duration
}

// HeapHeadroom is what a head office process needs besides the uploads
// MaxMemory bounds: connections, TLS, the index, logs.
const HeapHeadroom = 64 << 20

// MemoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit) for
// a process that serves this Server alone. MaxMemory bounds the live memory
// of uploads; the collector, left to GOGC, lets their garbage grow the heap
// to about twice that before it collects. Under this limit it collects
// sooner, so the whole heap stays near MaxMemory + HeapHeadroom.
func (s *Server) MemoryLimit() int64 { return s.cfg.MaxMemory + HeapHeadroom }

// Server is the receiver. Besides its config it holds only upload
// semaphores, so several can run over one Storage and Index.
type Server struct {
	cfg    Config
	slots  *budget // uploads verified at once, MaxInFlight
	mem    *budget // bytes those hold, MaxMemory
	kiosks *kioskLimit
	// adopter is the FileStorage that bodies are spooled into, which
	// links them into place instead of copying them; nil otherwise.
	adopter *FileStorage
}

// New checks cfg and fills its defaults.
func New(cfg Config) (*Server, error) {
	if cfg.Storage == nil {
		return nil, errors.New("head office: no storage")
	}
	if cfg.Index == nil {
		return nil, errors.New("head office: no index database")
	}
	if cfg.Roots == nil {
		return nil, errors.New("head office: no trusted roots (the national CA's, PEM)")
	}
	if cfg.KioskRoots == nil {
		return nil, errors.New("head office: no kiosk CA (the one that issues kiosks' device certificates)")
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
	fileStorage, _ := cfg.Storage.(*FileStorage)
	if cfg.SpoolDir == "" {
		cfg.SpoolDir = os.TempDir()
		if fileStorage != nil && fileStorage.Dir != "" {
			cfg.SpoolDir = fileStorage.Dir
		}
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = max(4, 2*runtime.GOMAXPROCS(0))
	}
	least := maxWeight(cfg.MaxSize)
	switch {
	case cfg.MaxMemory <= 0:
		cfg.MaxMemory = least
	case cfg.MaxMemory < least:
		return nil, fmt.Errorf("head office: max memory %d bytes admits no package of max size %d; it must be at least %d", cfg.MaxMemory, cfg.MaxSize, least)
	}
	if cfg.MaxPerKiosk <= 0 {
		cfg.MaxPerKiosk = DefaultMaxPerKiosk
	}
	if cfg.MinRate <= 0 {
		cfg.MinRate = DefaultMinRate
	}
	if cfg.RateGrace <= 0 {
		cfg.RateGrace = DefaultRateGrace
	}
	if cfg.ReadStall <= 0 {
		cfg.ReadStall = DefaultReadStall
	}
	srv := &Server{
		cfg:    cfg,
		slots:  newBudget(int64(cfg.MaxInFlight)),
		mem:    newBudget(cfg.MaxMemory),
		kiosks: newKioskLimit(cfg.MaxPerKiosk),
	}
	if fileStorage != nil && filepath.Clean(fileStorage.Dir) == filepath.Clean(cfg.SpoolDir) {
		srv.adopter = fileStorage
	}
	return srv, nil
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
	CodeTooSlow        = "too_slow" // 408: the body stalled or crawled
	CodeBusy           = "busy"     // 429: the kiosk has MaxPerKiosk uploads in flight
)

// ErrorBody is the JSON body of every error answer.
type ErrorBody struct {
	Error    string   `json:"error"`
	Message  string   `json:"message"`
	Problems []string `json:"problems,omitempty"`
	// Check names the validation check that refused a package (422).
	Check string `json:"check,omitempty"`
}

// PutResult is the JSON body of a 200 or 201 answer to a PUT.
type PutResult struct {
	ID     string `json:"id"`
	Digest string `json:"digest"` // lowercase hex SHA-256
	Status string `json:"status"` // "created" or "already_held"
}

// Handler serves the kiosk API. Serve it behind TLS that requires and
// verifies client certificates (pki.ServerTLS): PUT /v1/packages/{id},
// POST /v1/tickets/{tid}/claim (tickets.go), PUT /v1/failed-sessions/{id}
// (failed.go), POST /v1/heartbeat (heartbeat.go) and GET /v1/health. Health sits behind the same mTLS listener, so a monitor
// needs a client certificate; DownloadHandler answers health without one.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/packages/{id}", s.put)
	mux.HandleFunc("POST /v1/tickets/{tid}/claim", s.claimTicket)
	mux.HandleFunc("PUT /v1/failed-sessions/{id}", s.putFailed)
	mux.HandleFunc("POST "+heartbeat.Path, s.heartbeat)
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

// ValidID accepts canonical lowercase UUIDs only, so each package has one
// spelling (one file name, one index key).
func ValidID(id string) bool {
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

func (s *Server) fail(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{Error: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do
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
	if err != nil || !ValidID(id) || !hmac.Equal(got, s.linkMAC(id, exp)) {
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
	rec, ok, err := s.cfg.Index.Package(ctx, id)
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
	h.Set("Cache-Control", "private, no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	if q.Get("format") == "zip" {
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", `attachment; filename="`+id+`.zip"`)
		h.Set("Content-Length", strconv.FormatInt(rec.Size, 10))
		w.WriteHeader(http.StatusOK)
		if _, err := io.Copy(w, rc); err != nil {
			log.Warn().Err(err).Msg("download interrupted")
			return
		}
		log.Info().Str("format", "zip").Msg("package downloaded")
		return
	}
	// The link's default is the electronic-document card, the one PDF any
	// phone opens; it carries the signed application and its CMS inside.
	zipBytes, err := io.ReadAll(io.LimitReader(rc, s.cfg.MaxSize+1))
	var cardPDF []byte
	if err == nil {
		cardPDF, err = pack.File(zipBytes, pack.NameCard)
	}
	if err != nil {
		log.Error().Err(err).Msg("download failed: no card in the stored package")
		s.fail(w, http.StatusInternalServerError, CodeInternal, "try again later")
		return
	}
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `inline; filename="`+id+`.pdf"`)
	h.Set("Content-Length", strconv.Itoa(len(cardPDF)))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(cardPDF); err != nil {
		log.Warn().Err(err).Msg("download interrupted")
		return
	}
	log.Info().Str("format", "card").Msg("package downloaded")
}
