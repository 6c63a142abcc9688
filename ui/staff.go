package ui

import (
	"context"
	"time"
)

// Staff is what the staff menu needs from the kiosk (the root package's
// staff implementation over the outbox, uploader, camera and clients). Every
// method but SetDefaultLang and Exit may block: the menu calls them off the
// UI thread.
type Staff interface {
	// VerifyPIN checks a staff PIN against the configured hash (slow on
	// purpose, ~0.1 s).
	VerifyPIN(pin string) bool
	Outbox(ctx context.Context) (OutboxStatus, error)
	// SyncNow delivers what is due now and says how it went.
	SyncNow(ctx context.Context) (delivered, failed, dead int, err error)
	// RequeueDead puts every dead letter back in the queue.
	RequeueDead(ctx context.Context) (int, error)
	// CameraTest reads frames for d.
	CameraTest(ctx context.Context, d time.Duration) CameraReport
	// Check tries the provider and head office.
	Check(ctx context.Context) []Connectivity
	// SetDefaultLang is the language new sessions start in (for this run).
	SetDefaultLang(lang string)
	// Exit quits the kiosk.
	Exit()
}

// OutboxStatus is the outbox summed up for staff (no ids, no personal data).
type OutboxStatus struct {
	Pending, Delivered, Dead int
	OldestPending            time.Time // zero when nothing waits
	LastSuccess, LastAttempt time.Time // zero if never
}

// CameraReport is a camera test's outcome.
type CameraReport struct {
	Frames        int
	FPS           float64
	Width, Height int
	Err           error
	Code          string // the camera failure's session code (camera_gone, …), translated like the subscriber's; "" if none
}

// Connectivity is one peer's reachability.
type Connectivity struct {
	Name    string // "provider" | "head_office"
	OK      bool
	Latency time.Duration
	Detail  string // HTTP status when reachable, the reason when not
	Key     KeyCheck
}

// KeyCheck is what a peer made of the kiosk's key or certificate.
type KeyCheck int

const (
	KeyNotChecked KeyCheck = iota // no answer, or one that does not tell
	KeyAccepted                   // it answered the kiosk as a known client
	KeyRefused                    // it answered, but refuses the kiosk (401/403)
)

// StaffOptions turn the staff menu on.
type StaffOptions struct {
	Staff       Staff
	LockAfter   time.Duration // the menu closes after this long untouched; default 60 s
	MaxAttempts int           // wrong PINs before the lockout; default 5
	Lockout     time.Duration // default 5 min
}

// Staff menu timings.
const (
	staffHold       = 3 * time.Second // the hidden gesture's press
	staffCameraTest = 3 * time.Second
	staffPINMax     = 12
)
