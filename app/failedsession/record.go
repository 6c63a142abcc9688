// Package failedsession is the record a session leaves when it ends before
// signing (biometrics failed for good, the provider refused, a cancel, a
// timeout…): the facts head office needs to see the session at all, and no
// personal data. The kiosk makes and signs it with its device key, the
// outbox carries it, head office checks it; both ends read this one
// definition (docs/FAILED_SESSIONS.md).
package failedsession

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"almatel.kz/signkiosk/app/pack"
)

// Version is the record's format version (Record.V).
const Version = 1

// Limits on a record: a session has eight steps and five biometric
// attempts; the bounds leave room without letting a record grow unchecked.
const (
	maxAttempts = 16
	maxMarks    = 64
	maxMoves    = 8
	maxCode     = 64  // office, staff, order, reason codes: as the ticket's codes
	maxID       = 128 // provider ids (session, decision, challenge)
	maxText     = 128 // camera fields
	// maxSession bounds ended − started: the session's absolute limit is
	// 30 min by default; a day is beyond any configuration.
	maxSession = 24 * time.Hour
)

// Redacted replaces a value the kiosk found personal (Redact) before it
// signed the record.
const Redacted = "redacted"

// Record is the failed session. Every field is a code, an id or a time:
// never an IIN, a name, a phone number, a code from 1414, a password, a
// frame or anything of the ID document.
type Record struct {
	V        int    `json:"v"`
	RecordID string `json:"record_id"` // lowercase UUID; the id it is delivered under
	TicketID string `json:"ticket_id"`
	Office   string `json:"office"`
	Staff    string `json:"staff"` // the staff code from the ticket ("S-0042"), not a person's name
	Kiosk    string `json:"kiosk"` // the device certificate's kiosk
	OrderID  string `json:"order_id"`
	Lang     string `json:"lang"`
	// ProviderSession is the provider's id of the session ("" when it
	// ended before the provider opened one): head office asks the
	// provider about the session by it.
	ProviderSession string    `json:"provider_session_id"`
	Step            string    `json:"step"`   // where it ended (session.Step names)
	Reason          string    `json:"reason"` // why (session.Reason codes)
	Error           string    `json:"error"`  // the last error code shown, "" if none
	Biometrics      []Attempt `json:"biometrics"`
	Steps           []Mark    `json:"steps"`
	StartedAt       time.Time `json:"started_at"`
	EndedAt         time.Time `json:"ended_at"`
	AppVersion      string    `json:"app_version"`
	Camera          Camera    `json:"camera"`
}

// Attempt is one biometric decision of the provider: ids, codes and scores,
// never the frames.
type Attempt struct {
	DecisionID  string    `json:"decision_id"`
	Decision    string    `json:"decision"` // pass, retry, fail
	Reason      string    `json:"reason"`   // the provider's reason code ("no_match"), "" on pass
	ChallengeID string    `json:"challenge_id"`
	Moves       []string  `json:"moves"`
	Liveness    float64   `json:"liveness"`
	Match       float64   `json:"match"`
	At          time.Time `json:"at"`
}

// Mark is when a step was entered.
type Mark struct {
	Step string    `json:"step"`
	At   time.Time `json:"at"`
}

// Camera is the camera of the session's attempts (a device, not a person),
// as the package's evidence records it.
type Camera struct {
	VendorID  string `json:"vendor_id"`
	ProductID string `json:"product_id"`
	Driver    string `json:"driver"`
	Card      string `json:"card"`
	BusInfo   string `json:"bus_info"`
}

// The record's checks, each a 422 check at head office.
const (
	CheckFormat       = "record_format"    // the envelope: strict JSON, this format, the record in canonical form
	CheckFields       = "record_fields"    // no unknown field; every field present and well formed
	CheckPersonalData = "personal_data"    // no value shaped like personal data (an IIN, a phone number, an e-mail address)
	CheckSignature    = "record_signature" // the device key the certificate certifies signed the record
	CheckRecordID     = "record_id"        // the record names the id it is delivered under
	// The device certificate's checks are the package's.
	CheckDeviceCertificate = pack.CheckDeviceCertificate
	CheckDeviceChain       = pack.CheckDeviceChain
	CheckDeviceKiosk       = pack.CheckDeviceKiosk // the record's kiosk is the device certificate's
)

// Problem is why a record is refused: the check and a message that names
// fields, never their values.
type Problem struct {
	Check string
	Msg   string
}

func (p *Problem) Error() string { return p.Check + ": " + p.Msg }

func problem(check, format string, a ...any) error {
	return &Problem{Check: check, Msg: fmt.Sprintf(format, a...)}
}

// Check reports the first thing wrong with r as a *Problem: a field
// missing or malformed (CheckFields), or shaped like personal data
// (CheckPersonalData).
func Check(r Record) error {
	if r.V != Version {
		return problem(CheckFields, "v is %d; this is version %d", r.V, Version)
	}
	if !canonicalUUID(r.RecordID) {
		return problem(CheckFields, "record_id is not a lowercase UUID")
	}
	if !anyUUID(r.TicketID) {
		return problem(CheckFields, "ticket_id is not a UUID")
	}
	for _, f := range []struct{ name, v string }{{"office", r.Office}, {"staff", r.Staff}, {"order_id", r.OrderID}} {
		if !isCode(f.v, maxCode) {
			return problem(CheckFields, "%s is missing or not a code (printable ASCII, no spaces, at most %d)", f.name, maxCode)
		}
	}
	if !pack.ValidKioskID(r.Kiosk) {
		return problem(CheckFields, "kiosk is not a kiosk id")
	}
	if r.Lang != "kk" && r.Lang != "ru" && r.Lang != "en" {
		return problem(CheckFields, "lang must be kk, ru or en")
	}
	if r.ProviderSession != "" && !isCode(r.ProviderSession, maxID) {
		return problem(CheckFields, "provider_session_id is not an id")
	}
	if !isName(r.Step) || !isName(r.Reason) || (r.Error != "" && !isName(r.Error)) {
		return problem(CheckFields, "step, reason and error must be codes (a–z, 0–9, _)")
	}
	if r.AppVersion != "" && !isCode(r.AppVersion, maxCode) {
		return problem(CheckFields, "app_version is not a version")
	}
	if err := checkTimes(r); err != nil {
		return err
	}
	if r.Biometrics == nil || r.Steps == nil {
		return problem(CheckFields, "biometrics and steps must be arrays (empty when none)")
	}
	if len(r.Biometrics) > maxAttempts || len(r.Steps) > maxMarks {
		return problem(CheckFields, "more than %d biometric attempts or %d steps", maxAttempts, maxMarks)
	}
	for i, a := range r.Biometrics {
		if err := checkAttempt(i, a, r); err != nil {
			return err
		}
	}
	for i, m := range r.Steps {
		if !isName(m.Step) || !within(m.At, r) {
			return problem(CheckFields, "steps[%d]: step must be a code and at within the session", i)
		}
	}
	for _, f := range []struct{ name, v string }{{"camera.vendor_id", r.Camera.VendorID}, {"camera.product_id", r.Camera.ProductID},
		{"camera.driver", r.Camera.Driver}, {"camera.card", r.Camera.Card}, {"camera.bus_info", r.Camera.BusInfo}} {
		if !isText(f.v) {
			return problem(CheckFields, "%s is not printable text of at most %d bytes", f.name, maxText)
		}
	}
	if name, why := personalField(r); name != "" {
		return problem(CheckPersonalData, "%s looks like %s", name, why)
	}
	return nil
}

func checkTimes(r Record) error {
	switch {
	case r.StartedAt.IsZero() || r.EndedAt.IsZero():
		return problem(CheckFields, "started_at and ended_at are required")
	case !utc(r.StartedAt) || !utc(r.EndedAt):
		return problem(CheckFields, "times must be in UTC")
	case r.EndedAt.Before(r.StartedAt):
		return problem(CheckFields, "ended_at is before started_at")
	case r.EndedAt.Sub(r.StartedAt) > maxSession:
		return problem(CheckFields, "the session lasts more than %s", maxSession)
	}
	return nil
}

func checkAttempt(i int, a Attempt, r Record) error {
	switch {
	case !isCode(a.DecisionID, maxID):
		return problem(CheckFields, "biometrics[%d]: decision_id is not an id", i)
	case !isName(a.Decision):
		return problem(CheckFields, "biometrics[%d]: decision is not a code (pass, retry, fail)", i)
	case a.Reason != "" && !isName(a.Reason):
		return problem(CheckFields, "biometrics[%d]: reason is not a code", i)
	case a.ChallengeID != "" && !isCode(a.ChallengeID, maxID):
		return problem(CheckFields, "biometrics[%d]: challenge_id is not an id", i)
	case a.Moves == nil || len(a.Moves) > maxMoves:
		return problem(CheckFields, "biometrics[%d]: moves must be an array of at most %d", i, maxMoves)
	case !within(a.At, r):
		return problem(CheckFields, "biometrics[%d]: at is not within the session", i)
	}
	for _, m := range a.Moves {
		if !isName(m) {
			return problem(CheckFields, "biometrics[%d]: a move is not a code", i)
		}
	}
	return nil
}

func utc(t time.Time) bool { _, off := t.Zone(); return off == 0 && t.Location() == time.UTC }

func within(t time.Time, r Record) bool {
	return utc(t) && !t.Before(r.StartedAt) && !t.After(r.EndedAt)
}

func canonicalUUID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

// anyUUID takes a ticket's id as the ticket takes it (either case), in the
// 36-character form only.
func anyUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// isCode is the ticket's rule for codes: printable ASCII without spaces,
// safe in a log line.
func isCode(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// IsCode reports whether s is a code as the record takes one (step,
// reason, error, decision, move): a lowercase letter, then a–z, 0–9 or _,
// at most 64 bytes.
func IsCode(s string) bool { return isName(s) }

// IsID reports whether s is an id as the record takes one (provider
// session, decision, challenge): printable ASCII without spaces, at most
// 128 bytes.
func IsID(s string) bool { return isCode(s, maxID) }

// isName is a machine code: a lowercase letter, then a–z, 0–9 or _.
func isName(s string) bool {
	if s == "" || len(s) > maxCode || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// isText is short printable UTF-8 (a camera's card name has spaces).
func isText(s string) bool {
	if len(s) > maxText || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// freeFields are the record's values a person's data could be put in: the
// office system's codes, codes, versions and the camera's names. Ids issued
// by machines (record, ticket, provider session, decision, challenge) are
// not among them: an id may be a long number.
func freeFields(r *Record) []struct {
	name string
	v    *string
} {
	f := []struct {
		name string
		v    *string
	}{
		{"office", &r.Office}, {"staff", &r.Staff}, {"order_id", &r.OrderID}, {"step", &r.Step}, {"reason", &r.Reason},
		{"error", &r.Error}, {"app_version", &r.AppVersion}, {"camera.vendor_id", &r.Camera.VendorID},
		{"camera.product_id", &r.Camera.ProductID}, {"camera.driver", &r.Camera.Driver}, {"camera.card", &r.Camera.Card},
		{"camera.bus_info", &r.Camera.BusInfo},
	}
	for i := range r.Biometrics {
		f = append(f, struct {
			name string
			v    *string
		}{fmt.Sprintf("biometrics[%d].reason", i), &r.Biometrics[i].Reason})
	}
	return f
}

// personalField names the first free field shaped like personal data.
func personalField(r Record) (name, why string) {
	for _, f := range freeFields(&r) {
		if why := LooksPersonal(*f.v); why != "" {
			return f.name, why
		}
	}
	return "", ""
}

// minDigitRun is the shortest run of digits taken for personal data: an IIN
// has 12, a Kazakh phone number 10 or 11. Codes such as "ORD-2026-000123"
// have shorter runs.
const minDigitRun = 10

// LooksPersonal says what personal data s is shaped like ("an IIN or a
// phone number", "an e-mail address"), or "" when it looks like none.
func LooksPersonal(s string) string {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if run++; run >= minDigitRun {
				return "an IIN or a phone number"
			}
			continue
		}
		run = 0
	}
	if at := strings.IndexByte(s, '@'); at > 0 && strings.Contains(s[at:], ".") {
		return "an e-mail address"
	}
	return ""
}

// Redact replaces with Redacted every free field of r (office, staff and
// order codes, codes, the camera's names) that is shaped like personal data
// or holds one of personal — the session's IIN, phone, names, document
// number, birth date — as a digit sequence (IIN, phone) or a whole word
// (names), so the record the kiosk signs never carries them and head
// office never refuses it for them.
func Redact(r *Record, personal []string) {
	for _, f := range freeFields(r) {
		if *f.v != "" && (LooksPersonal(*f.v) != "" || holdsAny(*f.v, personal)) {
			*f.v = Redacted
		}
	}
	// Machine ids are not shape-checked, but none may hold the session's
	// own data (a provider that put the IIN in its session id).
	for _, id := range []*string{&r.ProviderSession} {
		if holdsAny(*id, personal) {
			*id = Redacted
		}
	}
	for i := range r.Biometrics {
		for _, id := range []*string{&r.Biometrics[i].DecisionID, &r.Biometrics[i].ChallengeID} {
			if holdsAny(*id, personal) {
				*id = Redacted
			}
		}
	}
}

// holdsAny reports whether s holds one of personal: digits of a number
// (IIN, phone, ignoring its punctuation) anywhere in s's digits, other
// values as a word of s (case-insensitive), or as a substring when long.
func holdsAny(s string, personal []string) bool {
	if s == "" {
		return false
	}
	sDigits := digits(s)
	lower := strings.ToLower(s)
	words := strings.FieldsFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for _, p := range personal {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		if d := digits(p); len(d) >= 6 && len(d)*2 >= len(p) && strings.Contains(sDigits, d) {
			return true // a number: its digits, however it is punctuated
		}
		if len(p) >= 6 && strings.Contains(lower, p) {
			return true
		}
		for _, w := range words {
			if w == p {
				return true
			}
		}
	}
	return false
}

func digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
