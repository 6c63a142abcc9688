package uploader

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

func TestPayloadBufFreeOnlyWhenBodiesClosed(t *testing.T) {
	var p *payloadBuf
	p = p.free()
	p.b = append(p.b, "zip"...)
	b1 := p.body(p.b)
	b2 := p.body(p.b) // as GetBody makes for a resend
	if q := p.free(); q == p {
		t.Fatal("buffer handed out again while two bodies are open")
	}
	b1.Close()
	b1.Close() // the transport may close twice; counted once
	if q := p.free(); q == p {
		t.Fatal("buffer handed out again while one body is open")
	}
	b2.Close()
	if q := p.free(); q != p {
		t.Fatal("buffer not reused after every body closed")
	}
}

// Head office answering before it has read the body (here 503 at once for
// every other request) leaves the transport still sending that body after
// Do returns; the worker must not read the next payload into the same
// buffer. One worker, large bodies, run under -race: every delivered body
// still matches its digest (the receiver checks) and nothing is refused.
func TestEarlyAnswerDoesNotReuseBufferInFlight(t *testing.T) {
	e := newFakeEnv(t, func(c *Config) { c.Concurrency = 1 }) // append into the buffer is visible to -race; GCM's assembly is not
	ids := e.q.add(12, 2_000_000)
	var n atomic.Int32
	e.rc.setFault(func(w http.ResponseWriter, r *http.Request) bool {
		if n.Add(1)%2 == 1 {
			// The whole answer at once, then hold the connection without
			// reading: the client has its answer while its transport is
			// still blocked sending the body.
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
			return true
		}
		return false
	})
	rep := e.run()
	if rep.Delivered+rep.Failed != len(ids) || rep.Dead != 0 || rep.Delivered == 0 || rep.Failed == 0 {
		t.Fatalf("run 1: %+v", rep)
	}
	e.rc.setFault(nil)
	e.clk.Advance(e.u.Backoff(0, 0.5))
	rep2 := e.run()
	if rep.Delivered+rep2.Delivered != len(ids) || rep2.Dead != 0 {
		t.Fatalf("run 2: %+v after %+v", rep2, rep)
	}
	for _, id := range ids {
		if !e.rc.holds(id) {
			t.Fatalf("%s not at head office", id)
		}
	}
	t.Logf("early 503s: %d delivered at once, %d after retry, every body matched its digest", rep.Delivered, rep2.Delivered)
}
