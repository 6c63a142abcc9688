package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/staffpin"
	"almatel.kz/signkiosk/camera"
	"almatel.kz/signkiosk/sync/outbox"
	"almatel.kz/signkiosk/sync/uploader"
	"almatel.kz/signkiosk/ui"
)

// staffSyncTimeout bounds "sync now" from the staff menu: staff wait at the
// screen; what is left goes at the next run.
const staffSyncTimeout = 5 * time.Minute

// staffHealthTimeout caps the head-office check (the upload timeout, minutes
// for a large package, is far too long to keep staff waiting for a health
// answer).
const staffHealthTimeout = 20 * time.Second

// headOfficeHealth is the receiver's health path (sync/headoffice), served
// behind the same mTLS as the uploads: a 200 there means delivery can work.
const headOfficeHealth = "/v1/health"

// staffOps is the staff menu's ui.Staff over the kiosk's parts.
type staffOps struct {
	pin      staffpin.Hashed
	outbox   *outbox.Outbox
	upload   *uploader.Uploader
	camera   func() camera.Source // the source to test; shared, never closed here
	provider probe
	office   probe
	setLang  func(string)
	exit     func()
	cfg      config.Staff
}

// probe is one peer to check: GET url with client (and header).
type probe struct {
	name    string
	url     string
	header  http.Header
	client  *http.Client
	timeout time.Duration
	// judge says what an HTTP answer means: whether the peer is usable and
	// what it made of the kiosk's key or certificate.
	judge func(status int) (ok bool, key ui.KeyCheck)
}

// staffParts are the kiosk parts the staff menu works on.
type staffParts struct {
	outbox        *outbox.Outbox
	upload        *uploader.Uploader
	camera        func() camera.Source
	setLang       func(string)
	providerURL   string
	providerKey   string // the bearer key the provider client sends
	headOfficeURL string
	syncTLS       *tls.Config // head office's mTLS, as the uploader uses it
}

// newStaffOps builds the staff menu's backend. Outside demo mode the PIN
// hash comes from the config (required); demo mode makes a random PIN and
// prints it with the other demo lines.
func newStaffOps(cfg config.Config, stdout io.Writer, p staffParts) (*staffOps, error) {
	ops := staffOps{
		outbox: p.outbox, upload: p.upload, camera: p.camera, setLang: p.setLang,
		// The provider's API has no health call: any call carrying the
		// kiosk's key shows whether the provider is there and takes the key
		// (401/403 when it does not). The collection's GET is cheap and
		// changes nothing.
		provider: probe{name: "provider", url: strings.TrimRight(p.providerURL, "/") + "/v1/sessions",
			header: http.Header{"Authorization": {"Bearer " + p.providerKey}},
			client: &http.Client{}, timeout: cfg.Provider.Timeout, judge: judgeProvider},
		// Head office's health call answers only over the kiosk's mTLS.
		office: probe{name: "head_office", url: strings.TrimRight(p.headOfficeURL, "/") + headOfficeHealth,
			client: uploader.NewClient(p.syncTLS, 1), timeout: min(cfg.Sync.Timeout, staffHealthTimeout),
			judge: func(code int) (bool, ui.KeyCheck) {
				if code == http.StatusOK {
					return true, ui.KeyAccepted
				}
				return false, ui.KeyNotChecked
			}},
	}
	pin, ok, err := cfg.Staff.PIN(cfg.Demo)
	if err != nil {
		return nil, err
	}
	if !ok {
		code, hashed, err := demoPIN()
		if err != nil {
			return nil, err
		}
		pin = hashed
		fmt.Fprintf(stdout, "staff PIN (demo): %s (hold the top-left corner 3 s to open the staff menu)\n", code)
	}
	ops.pin, ops.cfg = pin, cfg.Staff
	return &ops, nil
}

// demoPIN is a random 6-digit PIN and its hash.
func demoPIN() (string, staffpin.Hashed, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", staffpin.Hashed{}, fmt.Errorf("demo staff PIN: %w", err)
	}
	code := fmt.Sprintf("%06d", n.Int64())
	enc, err := staffpin.HashEphemeral(code) // held in memory only
	if err != nil {
		return "", staffpin.Hashed{}, fmt.Errorf("demo staff PIN: %w", err)
	}
	h, err := staffpin.Parse(enc)
	if err != nil {
		return "", staffpin.Hashed{}, fmt.Errorf("demo staff PIN: %w", err)
	}
	return code, h, nil
}

// options wires the menu into the UI; exit quits the app.
func (s *staffOps) options(exit func()) *ui.StaffOptions {
	if s == nil {
		return nil
	}
	s.exit = exit
	return &ui.StaffOptions{Staff: s, LockAfter: s.cfg.LockAfter, MaxAttempts: s.cfg.MaxPinAttempts, Lockout: s.cfg.Lockout}
}

func (s *staffOps) VerifyPIN(pin string) bool { return s.pin.Check(pin) }

func (s *staffOps) Outbox(ctx context.Context) (ui.OutboxStatus, error) {
	st, err := s.outbox.Stats(ctx)
	if err != nil {
		return ui.OutboxStatus{}, err
	}
	return ui.OutboxStatus{
		Pending: st.Pending, Delivered: st.Delivered, Dead: st.Dead,
		OldestPending: st.OldestPending, LastSuccess: st.LastSuccess, LastAttempt: st.LastAttempt,
	}, nil
}

func (s *staffOps) SyncNow(ctx context.Context) (delivered, failed, dead int, err error) {
	ctx, cancel := context.WithTimeout(ctx, staffSyncTimeout)
	defer cancel()
	rep, err := s.upload.RunOnce(ctx)
	return rep.Delivered, rep.Failed, rep.Dead, err
}

func (s *staffOps) RequeueDead(ctx context.Context) (int, error) {
	return s.outbox.Requeue(ctx) // no ids: every dead letter
}

// CameraTest counts the frames the source gives in d.
func (s *staffOps) CameraTest(ctx context.Context, d time.Duration) ui.CameraReport {
	var r ui.CameraReport
	src := s.camera()
	if src == nil {
		r.Err, r.Code = errors.New("no camera configured"), session.ErrNoCamera
		return r
	}
	tctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	for {
		img, err := src.Read(tctx)
		if err != nil {
			if tctx.Err() == nil || ctx.Err() != nil {
				// The camera failed, or the menu went away.
				r.Err, r.Code = err, camera.ErrorCode(err)
				if ctx.Err() != nil {
					r.Err, r.Code = ctx.Err(), ""
				}
				return r
			}
			break // d is over
		}
		r.Frames++
		b := img.Bounds()
		r.Width, r.Height = b.Dx(), b.Dy()
	}
	if el := time.Since(start).Seconds(); el > 0 {
		r.FPS = float64(r.Frames) / el
	}
	return r
}

// Check tries both peers at once.
func (s *staffOps) Check(ctx context.Context) []ui.Connectivity {
	out := make([]ui.Connectivity, 2)
	done := make(chan struct{})
	go func() { out[1] = s.office.check(ctx); close(done) }()
	out[0] = s.provider.check(ctx)
	<-done
	return out
}

func (s *staffOps) SetDefaultLang(lang string) { s.setLang(lang) }

func (s *staffOps) Exit() {
	if s.exit != nil {
		s.exit()
	}
}

// judgeProvider reads the provider's answer to a keyed GET.
func judgeProvider(code int) (bool, ui.KeyCheck) {
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return false, ui.KeyRefused
	case code >= 500:
		return false, ui.KeyNotChecked
	default: // 404, 405 …: it read the key and answered the call itself
		return true, ui.KeyAccepted
	}
}

// check GETs the peer's URL: an HTTP answer (judged by judge) means
// reachable; a dial, TLS or timeout error is the reason it is not.
func (p probe) check(ctx context.Context) ui.Connectivity {
	c := ui.Connectivity{Name: p.name}
	if p.url == "" {
		c.Detail = "no URL configured"
		return c
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		c.Detail = err.Error()
		return c
	}
	for k, v := range p.header {
		req.Header[k] = v
	}
	start := time.Now()
	resp, err := p.client.Do(req)
	c.Latency = time.Since(start)
	if err != nil {
		c.Detail = reason(err, p.timeout)
		return c
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	resp.Body.Close()
	c.Detail = "HTTP " + resp.Status
	c.OK = true
	if p.judge != nil {
		c.OK, c.Key = p.judge(resp.StatusCode)
	}
	return c
}

// reason is a request error without the URL (the same on every line).
func reason(err error, timeout time.Duration) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return strings.TrimSpace(err.Error())
}
