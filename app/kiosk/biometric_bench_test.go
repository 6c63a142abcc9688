package kiosk_test

import (
	"context"
	"crypto/ed25519"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/pack/packtest"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/provider/sim"
	"almatel.kz/signkiosk/app/provider/sim/simtest"
	"almatel.kz/signkiosk/camera"
	"almatel.kz/signkiosk/camera/face"
	"almatel.kz/signkiosk/sync/pki"
)

// bioBench is the demo's biometric step without the screen: the simulator
// over HTTP trusting a kiosk CA, the demo's 640×480 15 fps drawn subscriber
// through the hub, the demo's capture settings, and the kiosk's device.
type bioBench struct {
	client *provider.Client
	sim    *simtest.Server
	att    kiosk.DeviceAttester
	capt   camera.Capturer
}

func newBioBench(b *testing.B, moves int) *bioBench {
	b.Helper()
	seq := provider.Moves[:moves]
	srv := simtest.Start(b, sim.Config{APIKey: "k", Log: zerolog.Nop(), Moves: func() []string { return seq }})
	ca, err := pki.LoadOrCreate(b.TempDir(), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Sim.TrustKiosks(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.CA.Raw})); err != nil {
		b.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	cert := packtest.IssueDevice(b, ca, "K1", key.Public().(ed25519.PublicKey))
	hub := camera.NewHub(camera.NewSynthetic(640, 480, 15))
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	go hub.Run(ctx)
	a, err := face.NewAnalyzer(face.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	return &bioBench{client: provider.NewClient(srv.URL, "k", nil, 30*time.Second), sim: srv,
		att:  kiosk.DeviceAttester{Key: key, Cert: cert, Camera: func() kiosk.CameraIdentity { return kiosk.CameraIdentity(hub.Identity()) }},
		capt: camera.Capturer{Source: hub.Reader(), Analyzer: a, Now: time.Now}}
}

// toBiometrics opens a session up to its biometric step.
func (e *bioBench) toBiometrics(b *testing.B) string {
	ctx := context.Background()
	s, err := e.client.CreateSession(ctx, provider.CreateSessionRequest{OrderID: "O-1", IIN: "900101300123",
		Phone: "+77011234567", Lang: "kk", KioskID: "K1"})
	if err != nil {
		b.Fatal(err)
	}
	code, _ := e.sim.Sim.LastCode(s.SessionID)
	if _, err := e.client.SubmitCode(ctx, s.SessionID, code); err != nil {
		b.Fatal(err)
	}
	if err := e.client.Consent(ctx, s.SessionID, provider.ConsentRequest{Kind: provider.ConsentPrivacy,
		TextSHA256: strings.Repeat("ab", 32), Lang: "kk", AcceptedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	return s.SessionID
}

// BenchmarkBiometricStepDemo is the biometric step of a demo session end to
// end, in real time, as the subscriber lives it: the provider's challenge,
// the drawn subscriber acting its 1–3 moves at a person's pace with the
// "done" beats, the device signature, the provider's judgement. Phases are
// reported apart (ms per attempt).
func BenchmarkBiometricStepDemo(b *testing.B) {
	for moves := 1; moves <= 3; moves++ {
		b.Run(fmt.Sprintf("moves=%d", moves), func(b *testing.B) {
			e := newBioBench(b, moves)
			var challenge, capture, attest, submit time.Duration
			ctx := context.Background()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				id := e.toBiometrics(b)
				b.StartTimer()
				t0 := time.Now()
				ch, err := e.client.BiometricChallenge(ctx, id)
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				frames, err := e.capt.Capture(ctx, ch.Moves)
				if err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				req, err := e.att.Attest(id, ch, frames)
				if err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				resp, err := e.client.Biometrics(ctx, id, req)
				if err != nil || resp.Decision != provider.DecisionPass {
					b.Fatalf("%+v %v", resp, err)
				}
				t4 := time.Now()
				challenge, capture, attest, submit = challenge+t1.Sub(t0), capture+t2.Sub(t1), attest+t3.Sub(t2), submit+t4.Sub(t3)
			}
			n := float64(b.N)
			b.ReportMetric(float64(challenge.Milliseconds())/n, "challenge-ms")
			b.ReportMetric(float64(capture.Milliseconds())/n, "capture-ms")
			b.ReportMetric(float64(attest.Microseconds())/1000/n, "attest-ms")
			b.ReportMetric(float64(submit.Milliseconds())/n, "submit-ms")
		})
	}
}

// BenchmarkAttest is what a submission adds on the kiosk: the SHA-256 of
// every frame and the Ed25519 signature over them, for the demo camera's
// 640×480 frames (7 frames: three moves).
func BenchmarkAttest(b *testing.B) {
	clk := &camera.FastClock{}
	src := camera.NewSynthetic(640, 480, 15)
	src.Clock = clk
	frames, err := camera.Capturer{Source: src, Now: clk.Now, Beat: -1}.Capture(context.Background(), provider.Moves)
	if err != nil {
		b.Fatal(err)
	}
	total := 0
	for _, f := range frames {
		total += len(f.JPEG)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	att := kiosk.DeviceAttester{Key: key, Cert: []byte("device.pem")}
	ch := provider.BiometricChallenge{ChallengeID: "c", Nonce: make([]byte, 32), Moves: provider.Moves}
	b.SetBytes(int64(total))
	b.ResetTimer()
	for range b.N {
		if _, err := att.Attest("session", ch, frames); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(frames)), "frames")
	b.ReportMetric(float64(total)/1024, "KiB")
}
