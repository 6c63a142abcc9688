package ncasim_test

import (
	"bytes"
	"crypto"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"almatel.kz/signkiosk/app/ncasim"
)

// Issuing, revoking, OCSP and CRLs from many goroutines at once (run with
// -race): every answer stays consistent with what was revoked before it.
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t)
	sub, key := e.subscriber(t)
	req, err := ocsp.CreateRequest(sub, e.pki.Issuing(), &ocsp.RequestOptions{Hash: crypto.SHA256})
	must(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 8 {
		wg.Go(func() {
			c, err := e.pki.IssueSubscriber(&key.PublicKey, ncasim.Subject{IIN: testIIN, Surname: "A", Given: "B"})
			if err != nil {
				errs <- err
				return
			}
			if i%2 == 0 {
				e.pki.Revoke(c.SerialNumber, e.clock.Now(), ocsp.Superseded)
			}
			e.clock.Advance(time.Second)
		})
		// Not e's helpers here: they stop the test, which only its own
		// goroutine may.
		wg.Go(func() {
			resp, err := e.http.Post(e.base+ncasim.PathOCSP, "application/ocsp-request", bytes.NewReader(req))
			if err != nil {
				errs <- err
				return
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != http.StatusOK {
				err = errors.New(resp.Status)
			}
			if err == nil {
				_, err = ocsp.ParseResponseForCert(body, sub, e.pki.Issuing())
			}
			if err != nil {
				errs <- err
			}
		})
		wg.Go(func() {
			for _, p := range []string{ncasim.PathCRL, ncasim.PathDeltaCRL} {
				resp, err := e.http.Get(e.base + p)
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- errors.New(resp.Status)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	delta, _ := e.crl(t, ncasim.PathDeltaCRL, e.pki.Issuing())
	if n := len(delta.RevokedCertificateEntries); n != 4 {
		t.Fatalf("delta lists %d, want the 4 revoked", n)
	}
}
