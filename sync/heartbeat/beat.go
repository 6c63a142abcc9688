// Package heartbeat is a kiosk's periodic report to head office, over its
// mTLS connection: what it runs, its outbox backlog, its last delivery, its
// camera, its free disk and its clock. Head office keeps the newest beat of
// each kiosk and calls a kiosk that missed two beats silent. A beat holds
// no personal data: counts, times, codes.
package heartbeat

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"almatel.kz/signkiosk/app/strictjson"
)

// Every is how often a kiosk beats (and once at start).
const Every = 5 * time.Minute

// SilentAfter is how long head office waits for a beat before it calls the
// kiosk silent: two beats missed, and a little for the network.
const SilentAfter = 2*Every + 30*time.Second

// MaxBody bounds a beat on the wire.
const MaxBody = 4 << 10

// Path is where a kiosk POSTs its beat.
const Path = "/v1/heartbeat"

// The camera states a beat reports.
const (
	CameraOK    = "ok"    // its last read gave a frame
	CameraError = "error" // its last read failed (unplugged, busy, refused)
	CameraIdle  = "idle"  // not read since the kiosk started
)

// Beat is one report, as the kiosk sends it (JSON).
type Beat struct {
	Version    string `json:"version"`
	ConfigHash string `json:"config_hash"` // lowercase hex SHA-256 of the config file; "" in demo mode
	Pending    int    `json:"outbox_pending"`
	Dead       int    `json:"outbox_dead"`
	// OldestPendingS is the age in seconds of the oldest package waiting
	// (0: none), by the kiosk's clock: an age, so a wrong clock does not
	// make it wrong.
	OldestPendingS int64     `json:"oldest_pending_s"`
	LastSync       time.Time `json:"last_sync,omitzero"` // the last run that delivered everything due; zero: never
	Camera         string    `json:"camera"`
	FreeDisk       int64     `json:"free_disk_bytes"` // on the data directory's file system
	SentAt         time.Time `json:"sent_at"`         // the kiosk's clock, for the offset
}

// Ack is head office's answer: when it received the beat and how far the
// kiosk's clock is from its own (sent − received, so network time counts
// against the kiosk by at most a round trip).
type Ack struct {
	ReceivedAt time.Time `json:"received_at"`
	OffsetMS   int64     `json:"clock_offset_ms"`
}

// Errors of Parse.
var ErrInvalid = errors.New("invalid heartbeat")

// Parse reads a beat from its JSON (strict: no duplicate keys, nothing
// after it) and checks it. A field this release does not know is dropped,
// never kept: a kiosk upgraded before its head office still beats.
func Parse(b []byte) (Beat, error) {
	if len(b) > MaxBody {
		return Beat{}, fmt.Errorf("%w: over %d bytes", ErrInvalid, MaxBody)
	}
	if err := strictjson.Check(b); err != nil {
		return Beat{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var beat Beat
	if err := json.Unmarshal(b, &beat); err != nil {
		return Beat{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := beat.Check(); err != nil {
		return Beat{}, err
	}
	return beat, nil
}

// Check reports the first field out of bounds.
func (b Beat) Check() error {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrInvalid, what) }
	switch {
	case b.Version == "" || len(b.Version) > 64:
		return bad("version must be 1–64 characters")
	case b.ConfigHash != "" && !isHexSHA256(b.ConfigHash):
		return bad("config_hash must be a lowercase hex SHA-256")
	case b.Pending < 0 || b.Dead < 0 || b.OldestPendingS < 0 || b.FreeDisk < 0:
		return bad("counts must not be negative")
	case b.Camera != CameraOK && b.Camera != CameraError && b.Camera != CameraIdle:
		return bad("camera must be ok, error or idle")
	case b.SentAt.IsZero():
		return bad("sent_at is required")
	}
	return nil
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
