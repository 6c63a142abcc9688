package simtest

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/camera"
)

// Device is a kiosk's device key and its certificate (device.pem), as an
// enrolled kiosk signs its biometric submissions with.
type Device struct {
	Key  ed25519.PrivateKey
	Cert []byte
}

// Frames acts out moves with the demo's drawn subscriber and captures them
// as the kiosk does (camera.Capturer), on a camera.FastClock: a whole
// sequence in milliseconds, with capture times a camera would give.
func Frames(t testing.TB, moves ...string) []provider.Frame {
	t.Helper()
	return FramesAt(t, nil, moves...)
}

// FramesAt is Frames with capture times from now on (the system clock when
// nil): a simulator on a fixed test clock wants frames timed by it.
func FramesAt(t testing.TB, now func() time.Time, moves ...string) []provider.Frame {
	t.Helper()
	clk := &camera.FastClock{Base: now}
	src := camera.NewSynthetic(240, 180, 8)
	src.Clock = clk
	defer src.Close()
	shots, err := camera.Capturer{Source: src, Now: clk.Now, Beat: -1}.Capture(context.Background(), moves)
	if err != nil {
		t.Fatalf("act out %v: %v", moves, err)
	}
	out := make([]provider.Frame, len(shots))
	for i, s := range shots {
		out[i] = provider.Frame{JPEG: s.JPEG, CapturedAt: s.CapturedAt, Rest: s.Rest}
	}
	return out
}

// Submission is the signed answer to ch in session sessionID with frames.
func (d Device) Submission(sessionID string, ch provider.BiometricChallenge, frames []provider.Frame) provider.BiometricsRequest {
	req := provider.BiometricsRequest{ChallengeID: ch.ChallengeID, Nonce: ch.Nonce, Frames: frames, DeviceCert: d.Cert,
		Camera: provider.Camera{Driver: "synthetic", Card: "signkiosk demo subscriber"}}
	req.Signature = ed25519.Sign(d.Key, req.SignedData(sessionID))
	return req
}

// Attempt asks for a challenge, performs it and submits it signed by d: one
// honest kiosk attempt.
func (d Device) Attempt(t testing.TB, c *provider.Client, sessionID string) (provider.BiometricsResponse, error) {
	t.Helper()
	return d.AttemptAt(t, nil, c, sessionID)
}

// AttemptAt is Attempt with frames timed from now on (see FramesAt).
func (d Device) AttemptAt(t testing.TB, now func() time.Time, c *provider.Client, sessionID string) (provider.BiometricsResponse, error) {
	t.Helper()
	ctx := context.Background()
	ch, err := c.BiometricChallenge(ctx, sessionID)
	if err != nil {
		return provider.BiometricsResponse{}, err
	}
	return c.Biometrics(ctx, sessionID, d.Submission(sessionID, ch, FramesAt(t, now, ch.Moves...)))
}
