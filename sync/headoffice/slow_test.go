package headoffice

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/pack/packtest"
)

// rawUpload is a kiosk connection that sends a PUT's headers, then its
// body at its own pace, and reads the answer whenever it comes.
type rawUpload struct {
	cn     string
	conn   *tls.Conn
	stop   chan struct{}
	sender sync.WaitGroup
	answer chan rawAnswer
}

type rawAnswer struct {
	status int
	header http.Header
	close  bool // Connection: close
	body   ErrorBody
	err    error
}

// slowUpload announces size bytes for package id from kiosk cn and sends
// first bytes at once, then one byte every tick (never, when tick is 0).
func (f *fixture) slowUpload(cn, id string, size, first int, tick time.Duration) *rawUpload {
	f.t.Helper()
	cfg := f.kioskClient(f.pki, cn).Transport.(*http.Transport).TLSClientConfig.Clone()
	conn, err := tls.Dial("tcp", f.api.Listener.Addr().String(), cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	u := &rawUpload{cn: cn, conn: conn, stop: make(chan struct{}), answer: make(chan rawAnswer, 1)}
	f.t.Cleanup(u.close)
	// Whatever the body, its digest is well-formed: the body is never
	// finished, so it is never compared.
	head := fmt.Sprintf("PUT /v1/packages/%s HTTP/1.1\r\nHost: headoffice\r\nContent-Length: %d\r\nContent-Digest: %s\r\n\r\n%s",
		id, size, ContentDigest(nil), strings.Repeat("x", first))
	if _, err := io.WriteString(conn, head); err != nil {
		f.t.Fatal(err)
	}
	u.sender.Go(func() {
		if tick == 0 {
			return
		}
		t := time.NewTicker(tick)
		defer t.Stop()
		for range size - first {
			select {
			case <-u.stop:
				return
			case <-t.C:
			}
			if _, err := conn.Write([]byte("x")); err != nil {
				return // cut off
			}
		}
	})
	go func() {
		// 60 s is a generous bound on any answer in these tests (seconds
		// at most), so a loaded machine does not fail them.
		conn.SetReadDeadline(time.Now().Add(60 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			u.answer <- rawAnswer{err: err}
			return
		}
		defer resp.Body.Close()
		var eb ErrorBody
		b, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(b, &eb)
		u.answer <- rawAnswer{status: resp.StatusCode, header: resp.Header, close: resp.Close, body: eb}
	}()
	return u
}

func (u *rawUpload) close() {
	select {
	case <-u.stop:
	default:
		close(u.stop)
	}
	u.conn.Close()
	u.sender.Wait()
}

// waitInFlight polls until kiosk cn has n uploads in flight. The 20 s bound
// is generous (it takes milliseconds) so a loaded machine does not fail it.
func (f *fixture) waitInFlight(cn string, n int) {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for f.srv.kiosks.inFlight(cn) != n {
		if time.Now().After(deadline) {
			f.t.Fatalf("kiosk %s: %d uploads in flight, want %d", cn, f.srv.kiosks.inFlight(cn), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Slow and stalled senders hold no upload slot: with the only slot, and
// the senders still sending, a normal upload is stored; then the slow ones
// are cut off with 408 too_slow (which the kiosk retries).
func TestSlowSendersDoNotStarveOthers(t *testing.T) {
	p := buildPackages(t)
	// The progress rule is shrunk so the test takes seconds: after 3 s a
	// body must average 64 B/s, and no read may wait 2 s. The senders send
	// at most 4 B/s; a normal upload sends its body at once.
	f := newFixture(t, options{pk: &p, maxInFlight: 1, minRate: 64, rateGrace: 3 * time.Second, readStall: 2 * time.Second})
	var slow []*rawUpload
	for i := range 4 { // one byte every 250 ms, for ever (100 kB at 4 B/s)
		slow = append(slow, f.slowUpload(fmt.Sprintf("SLOW-%d", i), fmt.Sprintf("1b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b%02x", i), 100_000, 0, 250*time.Millisecond))
	}
	// Sends nothing after its headers.
	slow = append(slow, f.slowUpload("SILENT", "2b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a", 100_000, 0, 0))
	// Sends 4 kB at once, then nothing: fast enough on average for a
	// minute, but stalled.
	slow = append(slow, f.slowUpload("STALLED", "3b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a", 100_000, 4096, 0))
	for _, u := range slow {
		f.waitInFlight(u.cn, 1)
	}
	// The fixture client's 30 s timeout is ≥10× what this upload takes on
	// a loaded machine; before, it waited on the slot for ever.
	if code, eb := f.put(packageID, p.good, ContentDigest(p.good)); code != http.StatusCreated {
		t.Fatalf("normal upload beside slow senders: %d %+v", code, eb)
	}
	for _, u := range slow {
		a := <-u.answer
		if a.err != nil || a.status != http.StatusRequestTimeout || a.body.Error != CodeTooSlow {
			t.Errorf("%s: %d %+v %v, want 408 %s", u.cn, a.status, a.body, a.err, CodeTooSlow)
		}
		if !a.close {
			t.Errorf("%s: the connection is kept open", u.cn)
		}
		f.waitInFlight(u.cn, 0)
	}
	logs := f.logs.String()
	if n := strings.Count(logs, `"code":"too_slow"`); n != len(slow) {
		t.Errorf("%d too_slow log lines, want %d:\n%s", n, len(slow), logs)
	}
	for _, cn := range []string{"SLOW-0", "SILENT", "STALLED"} {
		if !strings.Contains(logs, `"kiosk":"`+cn+`"`) {
			t.Errorf("no log line names kiosk %s", cn)
		}
	}
	if used, _, waiting := f.srv.slots.state(); used != 0 || waiting != 0 {
		t.Errorf("slots: %d used, %d waiting after all answers", used, waiting)
	}
}

// One kiosk may have MaxPerKiosk uploads in flight; one more is answered
// 429 with Retry-After while other kiosks are served, and once its uploads
// end the kiosk is served again.
func TestPerKioskLimit(t *testing.T) {
	p := buildPackages(t)
	k2 := p.env.NewKiosk(t, "ALM-001-K2")
	const otherID = "3b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a"
	theirs := p.as(t, k2, otherID)
	// A long grace: the stalled uploads stay until the test closes them.
	f := newFixture(t, options{pk: &p, enrol: []packtest.Kiosk{k2}, maxPerKiosk: 2, rateGrace: time.Hour, readStall: time.Hour})
	held := []*rawUpload{
		f.slowUpload(kioskID, "1b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a", 100_000, 0, 0),
		f.slowUpload(kioskID, "2b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a", 100_000, 0, 0),
	}
	f.waitInFlight(kioskID, 2)
	req, err := http.NewRequest(http.MethodPut, f.api.URL+"/v1/packages/"+packageID, strings.NewReader(string(p.good)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Digest", ContentDigest(p.good))
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var eb ErrorBody
	_ = json.NewDecoder(resp.Body).Decode(&eb)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || eb.Error != CodeBusy || resp.Header.Get("Retry-After") != "5" {
		t.Errorf("third upload: %d %+v Retry-After %q, want 429 %s 5", resp.StatusCode, eb, resp.Header.Get("Retry-After"), CodeBusy)
	}
	other := f.kioskClient(f.pki, "ALM-001-K2")
	req, _ = http.NewRequest(http.MethodPut, f.api.URL+"/v1/packages/"+otherID, strings.NewReader(string(theirs)))
	req.Header.Set("Content-Digest", ContentDigest(theirs))
	if resp, err := other.Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusCreated {
		t.Errorf("another kiosk meanwhile: %d", resp.StatusCode)
	}
	for _, u := range held {
		u.close() // the kiosk gives up: its uploads end
	}
	f.waitInFlight(kioskID, 0)
	if code, eb := f.put(packageID, p.good, ContentDigest(p.good)); code != http.StatusCreated {
		t.Errorf("after its uploads ended: %d %+v", code, eb)
	}
}

func TestReadDeadline(t *testing.T) {
	s := &Server{cfg: Config{MinRate: 1000, RateGrace: 10 * time.Second, ReadStall: 20 * time.Second}}
	start := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return start.Add(d) }
	for _, c := range []struct {
		name string
		now  time.Duration
		n    int64
		want time.Time
	}{
		{"nothing yet: the grace", 0, 0, at(10 * time.Second)},
		{"fast: a stall's worth", time.Second, 1 << 20, at(21 * time.Second)},
		{"on the rate: until it falls below", 12 * time.Second, 5000, at(15 * time.Second)},
		{"slow start: the rate, sooner than a stall", time.Second, 5000, at(15 * time.Second)},
		{"behind the rate: already past", 30 * time.Second, 5000, at(15 * time.Second)},
		{"huge body: no overflow", time.Second, 1 << 62, at(21 * time.Second)},
	} {
		if got := s.readDeadline(start, at(c.now), c.n); !got.Equal(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got.Sub(start), c.want.Sub(start))
		}
	}
}
