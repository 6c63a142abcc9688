package heartbeat

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/logging/logtest"
)

// A head office that keeps what it is sent and answers as the real one.
type office struct {
	mu    sync.Mutex
	beats []Beat
	fail  bool
	limit int // when set, beats past this many are refused
	now   time.Time
}

func (o *office) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != Path || o.fail || (o.limit > 0 && len(o.beats) >= o.limit) {
		http.Error(w, "no", http.StatusServiceUnavailable)
		return
	}
	raw, _ := io.ReadAll(r.Body)
	b, err := Parse(raw)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.beats = append(o.beats, b)
	_ = json.NewEncoder(w).Encode(Ack{ReceivedAt: o.now, OffsetMS: b.SentAt.Sub(o.now).Milliseconds()})
}

func TestSenderBeatsAtStartAndEveryInterval(t *testing.T) {
	// Head office takes two beats, then is down: the third is logged as
	// lost, and the next would come on time.
	o := &office{now: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC), limit: 2}
	srv := httptest.NewServer(o)
	defer srv.Close()
	kioskNow := o.now.Add(3 * time.Minute) // a kiosk clock 3 minutes fast
	ticks := make(chan time.Time)
	var logs logtest.Buffer
	pending := 0
	s := Sender{Client: srv.Client(), BaseURL: srv.URL, Now: func() time.Time { return kioskNow },
		Collect: func(context.Context) (Beat, error) {
			pending++
			return Beat{Version: "v1", Pending: pending, Camera: CameraOK}, nil
		},
		After: func(d time.Duration) <-chan time.Time {
			if d != Every {
				t.Errorf("waits %v, want %v", d, Every)
			}
			return ticks
		},
		Log: zerolog.New(&logs)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	// Each tick is taken once Run has sent the beat before it and waits.
	for range 3 {
		ticks <- time.Time{}
	}
	cancel()
	<-done
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.beats) != 2 || o.beats[0].Pending != 1 || o.beats[1].Pending != 2 || !o.beats[0].SentAt.Equal(kioskNow) {
		t.Fatalf("head office got %+v", o.beats)
	}
	if !strings.Contains(logs.String(), "kiosk clock is off") || !strings.Contains(logs.String(), "heartbeat not delivered") {
		t.Errorf("log: %s", logs.String())
	}
}

func TestSendSaysWhatFailed(t *testing.T) {
	o := &office{fail: true}
	srv := httptest.NewServer(o)
	defer srv.Close()
	s := Sender{Client: srv.Client(), BaseURL: srv.URL, Collect: func(context.Context) (Beat, error) {
		return Beat{Version: "v1", Camera: CameraIdle}, nil
	}}
	if _, err := s.Send(context.Background()); err == nil || err.Error() != "heartbeat: head office answered 503" {
		t.Errorf("refused: %v", err)
	}
	broken := errors.New("outbox unreadable")
	s.Collect = func(context.Context) (Beat, error) { return Beat{}, broken }
	if _, err := s.Send(context.Background()); !errors.Is(err, broken) {
		t.Errorf("collect failure: %v", err)
	}
}
