package heartbeat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Sender beats for a kiosk: Collect gathers the report (Sender sets
// SentAt), Send posts it over Client (the kiosk's mTLS client) to BaseURL.
type Sender struct {
	Client  *http.Client
	BaseURL string
	Collect func(ctx context.Context) (Beat, error)
	Now     func() time.Time // default time.Now
	Every   time.Duration    // default Every
	// After is the timer Run waits on (tests inject one); default time.After.
	After func(time.Duration) <-chan time.Time
	Log   zerolog.Logger
}

// Send collects and posts one beat and returns head office's answer.
func (s Sender) Send(ctx context.Context) (Ack, error) {
	b, err := s.Collect(ctx)
	if err != nil {
		return Ack{}, fmt.Errorf("heartbeat: collect: %w", err)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	b.SentAt = now().UTC()
	body, err := json.Marshal(b)
	if err != nil {
		return Ack{}, fmt.Errorf("heartbeat: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.BaseURL, "/")+Path, bytes.NewReader(body))
	if err != nil {
		return Ack{}, fmt.Errorf("heartbeat: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client.Do(req)
	if err != nil {
		return Ack{}, fmt.Errorf("heartbeat: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		return Ack{}, fmt.Errorf("heartbeat: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Ack{}, fmt.Errorf("heartbeat: head office answered %d", resp.StatusCode)
	}
	var ack Ack
	if err := json.Unmarshal(raw, &ack); err != nil {
		return Ack{}, fmt.Errorf("heartbeat: answer: %w", err)
	}
	return ack, nil
}

// clockWarn is how far the kiosk's clock may be off before each beat says
// so in the log: ticket and signature times are checked against it.
const clockWarn = time.Minute

// Run beats at once and then every Every until ctx ends. A failed beat is
// logged and the next one comes on time: head office marks the kiosk
// silent, nothing here waits on it.
func (s Sender) Run(ctx context.Context) {
	every, after := s.Every, s.After
	if every <= 0 {
		every = Every
	}
	if after == nil {
		after = time.After
	}
	for {
		ack, err := s.Send(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.Log.Warn().Err(err).Msg("heartbeat not delivered")
		case ack.OffsetMS > clockWarn.Milliseconds() || ack.OffsetMS < -clockWarn.Milliseconds():
			s.Log.Warn().Int64("clock_offset_ms", ack.OffsetMS).Msg("kiosk clock is off from head office's")
		default:
			s.Log.Debug().Int64("clock_offset_ms", ack.OffsetMS).Msg("heartbeat delivered")
		}
		select {
		case <-ctx.Done():
			return
		case <-after(every):
		}
	}
}
