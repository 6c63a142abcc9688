package provider

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The liveness moves a provider's challenge asks for. Left and right are the
// subscriber's own (camera/face keys on the same meaning).
const (
	MoveTurnLeft   = "turn_left"
	MoveTurnRight  = "turn_right"
	MoveComeCloser = "come_closer"
)

// Moves is the provider's set of moves.
var Moves = []string{MoveTurnLeft, MoveTurnRight, MoveComeCloser}

// Refusals of a biometric submission (HTTP 4xx, not a judgement: no attempt
// is spent). Each burns the challenge it names; the kiosk asks for a new one.
const (
	CodeChallengeUnknown  = "challenge_unknown"   // 404: not a challenge of this session
	CodeChallengeUsed     = "challenge_used"      // 409: already answered (a replay)
	CodeChallengeExpired  = "challenge_expired"   // 410: answered after its expiry
	CodeNonceMismatch     = "nonce_mismatch"      // 409: not the nonce issued with the challenge
	CodeFramesReused      = "frames_reused"       // 409: a frame already submitted, in this session or another
	CodeFrameTimes        = "frame_times"         // 422: capture times out of order or outside the challenge
	CodeSignatureInvalid  = "signature_invalid"   // 403: the device signature does not verify
	CodeDeviceNotEnrolled = "device_not_enrolled" // 403: no kiosk device certificate of this session's kiosk
)

// Reasons of a judged attempt (decision retry or fail) that the moves cause.
const (
	ReasonWrongOrder   = "wrong_order"    // the moves were seen, not in the order asked
	ReasonMovesNotSeen = "moves_not_seen" // a move asked was not seen in the frames
)

// BiometricChallenge is POST /v1/sessions/{id}/biometrics/challenge: the
// provider's liveness challenge for one attempt, single use.
type BiometricChallenge struct {
	ChallengeID string    `json:"challenge_id"`
	Nonce       []byte    `json:"nonce"` // 32 random bytes, base64 in JSON
	Moves       []string  `json:"moves"` // 1–3 distinct moves of Moves, in the order to perform them
	ExpiresAt   time.Time `json:"expires_at"`
}

// Frame is one captured frame of an attempt. An attempt's frames start
// with one to three at rest (Rest set): the pose the kiosk measured every
// move from, so the provider measures from the same one.
type Frame struct {
	JPEG       []byte    `json:"jpeg"` // base64 in JSON
	CapturedAt time.Time `json:"captured_at"`
	Rest       bool      `json:"rest,omitempty"`
}

// Camera is the camera the frames came from (the fields of camera.Identity).
type Camera struct {
	VendorID  string `json:"vendor_id"`
	ProductID string `json:"product_id"`
	Driver    string `json:"driver"`
	Card      string `json:"card"`
	BusInfo   string `json:"bus_info"`
}

// BiometricsRequest is POST /v1/sessions/{id}/biometrics: the frames of the
// attempt that answers ChallengeID, in capture order, signed by the kiosk's
// device key over SignedData.
type BiometricsRequest struct {
	ChallengeID string  `json:"challenge_id"`
	Nonce       []byte  `json:"nonce"`
	Frames      []Frame `json:"frames"`
	Camera      Camera  `json:"camera"`
	DeviceCert  []byte  `json:"device_cert"` // PEM: the kiosk's device certificate, then its CAs (device.pem)
	Signature   []byte  `json:"signature"`   // Ed25519 over SignedData
}

// signedDataHeader versions the signed text, so a signature over another
// format can never be taken for this one.
const signedDataHeader = "signkiosk biometric submission v2\n"

// SignedData is what the device key signs of a submission in session
// sessionID: the session, the challenge and its nonce, the camera, and the
// SHA-256, capture time and role (rest or move) of every frame, in order;
// one line each, so it is unambiguous and readable when debugging.
func (r BiometricsRequest) SignedData(sessionID string) []byte {
	var b strings.Builder
	b.WriteString(signedDataHeader)
	line := func(k string, v ...string) {
		b.WriteString(k)
		for _, s := range v {
			b.WriteByte(' ')
			b.WriteString(strconv.Quote(s))
		}
		b.WriteByte('\n')
	}
	line("session", sessionID)
	line("challenge", r.ChallengeID)
	line("nonce", base64.StdEncoding.EncodeToString(r.Nonce))
	c := r.Camera
	line("camera", c.VendorID, c.ProductID, c.Driver, c.Card, c.BusInfo)
	for i, f := range r.Frames {
		sum := sha256.Sum256(f.JPEG)
		role := "move"
		if f.Rest {
			role = "rest"
		}
		line(fmt.Sprintf("frame %d", i), hex.EncodeToString(sum[:]), f.CapturedAt.UTC().Format(time.RFC3339Nano), role)
	}
	return []byte(b.String())
}
