package kiosk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/ticket"
)

// OfficeLedger is head office's office-wide record of used tickets
// (uploader.TicketClaims satisfies it). Claim returns an error wrapping
// ticket.ErrUsedElsewhere when another kiosk holds the ticket; any other
// error means head office could not be asked.
type OfficeLedger interface {
	Claim(ctx context.Context, tid string, exp time.Time) error
}

// Gate admits tickets: verified offline, recorded in the kiosk's own
// ledger, then claimed office-wide at head office, so a ticket works once
// in the office. When head office cannot be reached the session starts on
// the local ledger alone (docs/TICKETS.md): an office with a dead uplink
// keeps working, and a ticket shown at two kiosks during the outage is seen
// at head office when their packages arrive.
type Gate struct {
	Verifier ticket.Verifier
	Ledger   *ticket.Ledger
	// Office is the office-wide ledger; nil: the local ledger only.
	Office OfficeLedger
	// OfficeTimeout bounds the claim, so a slow uplink delays a session
	// by at most this long (3 s when zero).
	OfficeTimeout time.Duration
	Log           zerolog.Logger
}

// Admit verifies text and marks its ticket id used, here and office-wide.
func (g Gate) Admit(ctx context.Context, text string, now time.Time) (ticket.Payload, error) {
	p, err := g.Verifier.Verify(text, now)
	if err != nil {
		return ticket.Payload{}, err
	}
	if err := g.Ledger.Use(ctx, p.TID, p.ExpiresAt(), now); err != nil {
		return ticket.Payload{}, fmt.Errorf("admit ticket: %w", err)
	}
	if g.Office == nil {
		return p, nil
	}
	timeout := g.OfficeTimeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch err := g.Office.Claim(cctx, p.TID, p.ExpiresAt()); {
	case err == nil:
	case errors.Is(err, ticket.ErrUsedElsewhere):
		// The local mark stays: the ticket is spent either way.
		return ticket.Payload{}, fmt.Errorf("admit ticket: %w", err)
	case ctx.Err() != nil:
		return ticket.Payload{}, fmt.Errorf("admit ticket: %w", ctx.Err())
	default:
		g.Log.Warn().Err(err).Str("event", "office_ledger_unreachable").Str("tid", p.TID).
			Msg("head office not reached: the ticket is admitted on this kiosk's ledger alone")
	}
	return p, nil
}

// ticketCodes maps ticket refusals to the stable codes the UI translates.
var ticketCodes = []struct {
	err  error
	code string
}{
	{ticket.ErrNotTicket, "ticket_not_ticket"},
	{ticket.ErrEncoding, "ticket_encoding"},
	{ticket.ErrTooLarge, "ticket_too_large"},
	{ticket.ErrSignature, "ticket_signature"},
	{ticket.ErrVersion, "ticket_version"},
	{ticket.ErrExpired, "ticket_expired"},
	{ticket.ErrNotYetValid, "ticket_not_yet_valid"},
	{ticket.ErrOtherOffice, "ticket_other_office"},
	{ticket.ErrIncomplete, "ticket_incomplete"},
	{ticket.ErrDuplicateKey, "ticket_duplicate_key"},
	{ticket.ErrReused, "ticket_reused"},
	{ticket.ErrUsedElsewhere, "ticket_used_elsewhere"},
}

// TicketErrorCode is the stable code of a ticket refusal ("ticket_error" for
// anything else, such as a database fault).
func TicketErrorCode(err error) string {
	for _, c := range ticketCodes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "ticket_error"
}

// TicketCodes lists every code TicketErrorCode can return (for the
// translation completeness test).
func TicketCodes() []string {
	out := make([]string, 0, len(ticketCodes)+1)
	for _, c := range ticketCodes {
		out = append(out, c.code)
	}
	return append(out, "ticket_error")
}
