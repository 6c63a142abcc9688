package session

import (
	"time"

	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/ticket"
)

// Event is something that happened: a touch, a scan, a provider answer, a tick.
type Event interface{ event() }

// Subscriber and staff input.
type (
	// TicketAccepted: a verified, unused ticket was scanned.
	TicketAccepted struct{ Ticket ticket.Payload }
	// TicketRejected: a scan that failed; Code is the ticket error code.
	TicketRejected struct{ Code string }
	// SetLang switches the language on any screen.
	SetLang struct{ Lang string }
	// SetDefaultLang sets the kiosk's own language (config, staff menu):
	// the idle screen's, and new sessions' unless their order names one.
	// The idle screen returns to it after every session.
	SetDefaultLang struct{ Lang string }
	// Begin on the welcome screen.
	Begin struct{}
	// CodeEntered: the six digits from 1414.
	CodeEntered struct{ Code string }
	// ResendCode asks for a new SMS.
	ResendCode struct{}
	// ReviewAccepted: "the data is correct, continue".
	ReviewAccepted struct{}
	// ConsentAccepted on the privacy or EDS rules screen.
	ConsentAccepted struct {
		Kind       string
		TextSHA256 string
	}
	// CaptureStart: the subscriber is ready in front of the camera.
	CaptureStart struct{}
	// PasswordEntered: the EDS password, twice.
	PasswordEntered struct{ Password, Confirm string }
	// Retry repeats the call that failed for transport reasons.
	Retry struct{}
	// Cancel ends the session (the UI confirms first).
	Cancel struct{}
	// Activity: any touch; resets the idle timer.
	Activity struct{}
	// Finish on the done or ended screen: back to idle now.
	Finish struct{}
	// Tick lets time-based rules run (idle, absolute limit, holds).
	Tick struct{}
	// StorageChecked is the runner's look at the kiosk's database: Fault
	// is one of StorageCodes, or empty when it can take a session.
	StorageChecked struct{ Fault string }
)

// Results of effects. Each carries the Gen of the session that asked, so a
// late answer for an ended session is dropped.
type (
	// Created: the provider session exists and the SMS went out.
	Created struct {
		Gen  uint64
		Resp provider.CreateSessionResponse
	}
	// CodeAccepted: the ID document opened.
	CodeAccepted struct {
		Gen uint64
		Doc provider.IDDocument
	}
	// Resent: a new SMS went out.
	Resent struct{ Gen uint64 }
	// ConsentRecorded: the provider stored a consent.
	ConsentRecorded struct {
		Gen  uint64
		Kind string
	}
	// BiometricJudged: the provider's decision on one attempt.
	BiometricJudged struct {
		Gen   uint64
		Moves []string // the challenge's, as the provider issued them
		Resp  provider.BiometricsResponse
	}
	// CertificateIssued: the subscriber's certificate.
	CertificateIssued struct {
		Gen  uint64
		Resp provider.CertificateResponse
	}
	// SignedDoc: the signature over the document.
	SignedDoc struct {
		Gen uint64
		Sig Signature
	}
	// Sealed: the signature is long-term; CMS replaces the provider's and
	// GenTime is its time stamp's.
	Sealed struct {
		Gen     uint64
		CMS     []byte
		GenTime time.Time
	}
	// Stored: the signed session is on disk; Receipt says where to fetch it.
	Stored struct {
		Gen     uint64
		Receipt Receipt
	}
	// Failed: an effect's call failed. Code is a provider.Code* value;
	// AttemptsLeft is set for wrong codes.
	Failed struct {
		Gen          uint64
		Op           Op
		Code         string
		AttemptsLeft *int
	}
)

func (TicketAccepted) event()    {}
func (TicketRejected) event()    {}
func (SetLang) event()           {}
func (SetDefaultLang) event()    {}
func (Begin) event()             {}
func (CodeEntered) event()       {}
func (ResendCode) event()        {}
func (ReviewAccepted) event()    {}
func (ConsentAccepted) event()   {}
func (CaptureStart) event()      {}
func (PasswordEntered) event()   {}
func (Retry) event()             {}
func (Cancel) event()            {}
func (Activity) event()          {}
func (Finish) event()            {}
func (Tick) event()              {}
func (StorageChecked) event()    {}
func (Created) event()           {}
func (CodeAccepted) event()      {}
func (Resent) event()            {}
func (ConsentRecorded) event()   {}
func (BiometricJudged) event()   {}
func (CertificateIssued) event() {}
func (SignedDoc) event()         {}
func (Sealed) event()            {}
func (Stored) event()            {}
func (Failed) event()            {}

// At is a helper for tests and the runner: when now is needed with an event.
type At struct {
	Event Event
	Now   time.Time
}
