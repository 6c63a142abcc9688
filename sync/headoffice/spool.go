package headoffice

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"time"
)

// How spool fails; the handler answers each differently.
var (
	errTooLarge = errors.New("body larger than MaxSize")
	errTooSlow  = errors.New("body arrives too slowly")
	errSpool    = errors.New("cannot spool the body") // a local disk fault
	errReadBody = errors.New("cannot read the body")  // the client went away, or bad framing
)

// spooled is an upload's body on disk, its size and SHA-256.
type spooled struct {
	f    *os.File
	size int64
	sum  [sha256.Size]byte
	name string // to remove on close; "" once unlinked
	// report is the validation report the body passed with, for its row.
	report []byte
}

func (sp *spooled) Close() error {
	err := sp.f.Close()
	if sp.name != "" {
		// Gone already when FileStorage adopted it.
		if rerr := os.Remove(sp.name); !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	return err
}

// spool copies r's body into a temp file in SpoolDir while hashing it, so
// that a body in transit holds no memory and no upload slot however slowly
// it comes. The client must keep it coming (see readDeadline); the deadline
// is on the connection, so a stalled client wakes nothing until it passes.
func (s *Server) spool(w http.ResponseWriter, r *http.Request) (_ *spooled, err error) {
	if err := os.MkdirAll(s.cfg.SpoolDir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %w", errSpool, err)
	}
	f, err := os.CreateTemp(s.cfg.SpoolDir, ".tmp-upload-*")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errSpool, err)
	}
	sp := &spooled{f: f, name: f.Name()}
	// In FileStorage's dir it keeps its name, to be linked into place
	// rather than copied, and CleanTemp removes what a crash leaves.
	// Elsewhere it is unlinked at once where the system allows it, so a
	// crash leaves nothing; otherwise Close removes it.
	if s.adopter == nil && os.Remove(f.Name()) == nil {
		sp.name = ""
	}
	defer func() {
		if err != nil {
			sp.Close()
		}
	}()

	rc := http.NewResponseController(w)
	setDeadline := func(t time.Time) {
		// Not supported (a test's ResponseRecorder) or the connection is
		// gone: the read itself then tells.
		_ = rc.SetReadDeadline(t)
	}
	// A deadline left behind would fire during verification, in the
	// server's background read, and cancel the request.
	defer setDeadline(time.Time{})
	h := sha256.New()
	buf := make([]byte, 32<<10)
	start := time.Now() // deadlines are on the wall clock, as net.Conn's are
	tooSlow := func() error {
		return fmt.Errorf("%w: %d bytes in %s", errTooSlow, sp.size, time.Since(start).Round(time.Millisecond))
	}
	for {
		now := time.Now()
		deadline := s.readDeadline(start, now, sp.size)
		if !deadline.After(now) {
			return nil, tooSlow()
		}
		setDeadline(deadline)
		n, rerr := r.Body.Read(buf)
		if n > 0 {
			if sp.size+int64(n) > s.cfg.MaxSize {
				return nil, errTooLarge
			}
			h.Write(buf[:n])
			if _, err := f.Write(buf[:n]); err != nil {
				return nil, fmt.Errorf("%w: %w", errSpool, err)
			}
			sp.size += int64(n)
		}
		switch {
		case rerr == io.EOF:
			h.Sum(sp.sum[:0])
			return sp, nil
		case rerr == nil:
		case errors.Is(rerr, os.ErrDeadlineExceeded) || !time.Now().Before(deadline):
			return nil, tooSlow()
		default:
			return nil, fmt.Errorf("%w: %w", errReadBody, rerr)
		}
	}
}

// readDeadline is when the next read of a body started at start, n bytes in,
// must have returned: within ReadStall of now, and once RateGrace is over,
// before the body's average rate since start falls below MinRate.
func (s *Server) readDeadline(start, now time.Time, n int64) time.Time {
	stall := now.Add(s.cfg.ReadStall)
	rate := s.cfg.MinRate
	secs := n / rate
	if secs > int64((now.Sub(start)+s.cfg.ReadStall)/time.Second) {
		// The rate allows more than a stall: the stall decides (and
		// n/rate seconds may overflow a Duration).
		return stall
	}
	allowed := time.Duration(secs)*time.Second + time.Duration(n%rate)*time.Second/time.Duration(rate)
	if byRate := start.Add(s.cfg.RateGrace + allowed); byRate.Before(stall) {
		return byRate
	}
	return stall
}
