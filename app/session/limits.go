package session

import "time"

// Limits are the configurable rules of a session (DESIGN.md defaults).
type Limits struct {
	CodeAttempts      int           // wrong codes before a resend is needed
	CodeResends       int           // resends allowed
	ResendCooldown    time.Duration // between a send and the next resend
	BiometricAttempts int           // the national rule for online EDS issuance
	Idle              time.Duration // no touch this long → "are you still there?"
	IdleWarning       time.Duration // then this long → ended
	Absolute          time.Duration // a whole session at most
	DoneHold          time.Duration // the done screen goes back to idle after this
	EndedHold         time.Duration // the "session ended" screen shows this long
	StoreRetry        time.Duration // a store on a full or read-only disk is retried this often; 30 s when zero
	SealRetry         time.Duration // first wait before sealing is tried again, doubling each time; 2 s when zero
	SealRetryMax      time.Duration // the longest wait between seal tries; 60 s when zero
}

// DefaultLimits are DESIGN.md's defaults.
func DefaultLimits() Limits {
	return Limits{
		CodeAttempts:      3,
		CodeResends:       2,
		ResendCooldown:    60 * time.Second,
		BiometricAttempts: 5,
		Idle:              90 * time.Second,
		IdleWarning:       15 * time.Second,
		Absolute:          30 * time.Minute,
		DoneHold:          60 * time.Second,
		EndedHold:         10 * time.Second,
		StoreRetry:        30 * time.Second,
		SealRetry:         2 * time.Second,
		SealRetryMax:      60 * time.Second,
	}
}
