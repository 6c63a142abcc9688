package ticket

import "errors"

// Reasons a ticket is refused. Each is errors.Is-able; the returned error may
// carry more detail (never personal data) in its message.
var (
	ErrNotTicket   = errors.New("not a session ticket")
	ErrEncoding    = errors.New("ticket encoding is damaged")
	ErrTooLarge    = errors.New("ticket is too large")
	ErrSignature   = errors.New("ticket signature is not valid (forged or altered)")
	ErrVersion     = errors.New("ticket version is not supported")
	ErrExpired     = errors.New("ticket expired")
	ErrNotYetValid = errors.New("ticket is not valid yet (check the kiosk clock)")
	ErrOtherOffice = errors.New("ticket is for another office")
	ErrIncomplete  = errors.New("ticket is incomplete")
	ErrReused      = errors.New("ticket already used")
	// ErrUsedElsewhere: head office's office-wide ledger has the ticket
	// claimed by another kiosk of the office.
	ErrUsedElsewhere = errors.New("ticket already used at another kiosk of the office")
	// ErrDuplicateKey: a genuinely signed payload naming a field twice is
	// ambiguous (which value did the office mean?), so it is refused.
	ErrDuplicateKey = errors.New("ticket payload has a duplicate key")
)

// rejection is a refusal whose message is written for staff in full, while
// errors.Is still sees its sentinel: "ticket expired at …" rather than
// "…: ticket expired".
type rejection struct {
	kind error
	msg  string
}

func (r *rejection) Error() string { return r.msg }
func (r *rejection) Unwrap() error { return r.kind }

func reject(kind error, msg string) error { return &rejection{kind: kind, msg: msg} }
