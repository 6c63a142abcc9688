package ticket

import (
	"fmt"

	"github.com/google/uuid"
)

// Version is the only payload version this kiosk understands.
const Version = 1

// maxCodeLen bounds identifiers (office, staff) that end up in logs and
// messages; they are codes like "ALM-001", not free text.
const maxCodeLen = 64

// Validate reports whether p is a ticket a kiosk can start a session from:
// ErrVersion for an unknown version, ErrIncomplete (with the field named,
// never its value) for anything missing or malformed. Times are not judged
// against a clock here; Verifier.Verify does that.
func (p Payload) Validate() error {
	if p.V != Version {
		return reject(ErrVersion, fmt.Sprintf("ticket version %d is not supported (want %d)", p.V, Version))
	}
	if _, err := uuid.Parse(p.TID); err != nil {
		return incomplete("ticket id is not a UUID")
	}
	if !isCode(p.Office) {
		return incomplete("office code is missing or malformed")
	}
	if !isCode(p.Staff) {
		return incomplete("staff code is missing or malformed")
	}
	if p.IAT <= 0 || p.EXP <= p.IAT {
		return incomplete("validity period is missing or inverted")
	}
	return p.Order.validate()
}

func (o Order) validate() error {
	switch {
	case !isCode(o.ID):
		return incomplete("order id is missing or malformed")
	case o.Lang != "kk" && o.Lang != "ru" && o.Lang != "en":
		return incomplete("order language must be kk, ru or en")
	case !isIIN(o.Subscriber.IIN):
		return incomplete("subscriber IIN must be 12 digits")
	case o.Subscriber.Surname == "":
		return incomplete("subscriber surname is missing")
	case o.Subscriber.Given == "":
		return incomplete("subscriber given name is missing")
	case o.Subscriber.Phone == "":
		return incomplete("subscriber phone is missing")
	case o.Tariff.Code == "":
		return incomplete("tariff code is missing")
	case o.Address == "":
		return incomplete("service address is missing")
	}
	return nil
}

func incomplete(what string) error {
	return reject(ErrIncomplete, "ticket is incomplete: "+what)
}

// isIIN checks the shape only. The IIN's check digit is left to eGov: the
// office system's test data (and DESIGN.md's sample) do not satisfy it.
func isIIN(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isCode accepts printable ASCII without spaces: identifiers that are safe
// to print in a one-line message or a log.
func isCode(s string) bool {
	if s == "" || len(s) > maxCodeLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
