package kiosk

import (
	"crypto/ed25519"
	"errors"

	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/camera"
)

// DeviceAttester signs biometric submissions with the kiosk's device key,
// so the provider takes the frames on an enrolled kiosk's signature, not on
// the request alone: the signature binds the nonce, the session, every
// frame's SHA-256 and capture time, and the camera.
type DeviceAttester struct {
	Key    ed25519.PrivateKey    // the device key (device-ed25519.key)
	Cert   []byte                // its device certificate, device.pem
	Camera func() CameraIdentity // the camera the frames came from; nil: none recorded
}

// Attest implements Attester.
func (d DeviceAttester) Attest(sessionID string, ch provider.BiometricChallenge, frames []camera.Frame) (provider.BiometricsRequest, error) {
	if len(d.Key) != ed25519.PrivateKeySize || len(d.Cert) == 0 {
		return provider.BiometricsRequest{}, errors.New("attest: no device key or certificate")
	}
	req := provider.BiometricsRequest{ChallengeID: ch.ChallengeID, Nonce: ch.Nonce, DeviceCert: d.Cert,
		Frames: make([]provider.Frame, len(frames))}
	for i, f := range frames {
		req.Frames[i] = provider.Frame{JPEG: f.JPEG, CapturedAt: f.CapturedAt, Rest: f.Rest}
	}
	if d.Camera != nil {
		req.Camera = provider.Camera(d.Camera())
	}
	req.Signature = ed25519.Sign(d.Key, req.SignedData(sessionID))
	return req, nil
}
