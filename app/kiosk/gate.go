package kiosk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"almatel.kz/signkiosk/app/ticket"
)

// Gate admits tickets: verified offline, then recorded so it cannot be reused.
type Gate struct {
	Verifier ticket.Verifier
	Ledger   *ticket.Ledger
}

// Admit verifies text and marks its ticket id used.
func (g Gate) Admit(ctx context.Context, text string, now time.Time) (ticket.Payload, error) {
	p, err := g.Verifier.Verify(text, now)
	if err != nil {
		return ticket.Payload{}, err
	}
	if err := g.Ledger.Use(ctx, p.TID, p.ExpiresAt(), now); err != nil {
		return ticket.Payload{}, fmt.Errorf("admit ticket: %w", err)
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
