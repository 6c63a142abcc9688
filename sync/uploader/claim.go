package uploader

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"almatel.kz/signkiosk/app/ticket"
)

// TicketClaims asks head office's office-wide ledger for a ticket:
// POST {BaseURL}/v1/tickets/{tid}/claim over the kiosk's mTLS client. It
// satisfies kiosk.OfficeLedger.
type TicketClaims struct {
	Client  *http.Client
	BaseURL string
}

// Claim answers nil when this kiosk holds the ticket (new or again), an
// error wrapping ticket.ErrUsedElsewhere when another kiosk does, and any
// other error when head office could not say.
func (c TicketClaims) Claim(ctx context.Context, tid string, exp time.Time) error {
	body, err := json.Marshal(map[string]time.Time{"expires_at": exp.UTC()})
	if err != nil {
		return fmt.Errorf("claim ticket: %w", err)
	}
	url := strings.TrimRight(c.BaseURL, "/") + "/v1/tickets/" + tid + "/claim"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("claim ticket: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Client.Do(req)
	if err != nil {
		return fmt.Errorf("claim ticket: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // keep the connection reusable
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated:
		return nil
	case http.StatusConflict:
		return fmt.Errorf("claim ticket: %w", ticket.ErrUsedElsewhere)
	}
	return fmt.Errorf("claim ticket: head office answered %d", resp.StatusCode)
}
