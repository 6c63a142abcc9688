package main

import (
	"context"
	"fmt"
	"time"

	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/assets"
)

// sessionDriver walks a demo kiosk through a whole session with the events a
// subscriber's taps would send: `screens` photographs each step, `selftest`
// proves the chain ticket → provider → document → signature → package.
type sessionDriver struct {
	k        *kioskParts
	signGate chan struct{} // the gatedSign provider waits on it
}

// driveStep is one screen: what to do, and the step that must follow.
type driveStep struct {
	name string
	act  func() error
	want session.Step
}

// steps are welcome … done for a fresh demo ticket.
func (d sessionDriver) steps(ctx context.Context) []driveStep {
	r := d.k.runner
	return []driveStep{
		{"welcome", func() error {
			text, _, err := d.k.demo.NewTicket()
			r.Scan(text)
			return err
		}, session.StepWelcome},
		{"code", func() error { r.Dispatch(session.Begin{}); return nil }, session.StepCode},
		{"review", func() error {
			code, ok := d.k.demo.Sim.LastCode(r.State().ProviderSession)
			if !ok {
				return fmt.Errorf("the simulator sent no code")
			}
			r.Dispatch(session.CodeEntered{Code: code})
			return nil
		}, session.StepReview},
		{"privacy", func() error { r.Dispatch(session.ReviewAccepted{}); return nil }, session.StepPrivacy},
		{"biometrics", func() error { return d.consent(provider.ConsentPrivacy, "privacy") }, session.StepBiometrics},
		{"eds_rules", func() error { return d.passBiometrics(ctx) }, session.StepEDSRules},
		{"password", func() error { return d.consent(provider.ConsentEDSRules, "eds_rules") }, session.StepPassword},
		{"signing", func() error {
			r.Dispatch(session.PasswordEntered{Password: "Almaty#2026", Confirm: "Almaty#2026"})
			return nil
		}, session.StepSigning},
		{"done", func() error {
			select {
			case d.signGate <- struct{}{}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}, session.StepDone},
	}
}

// whole walks one session from a fresh ticket to its done screen, then
// back to idle: what a subscriber's visit leaves behind is then all that
// remains of it (the probe's and the tests' sessions-in-a-row).
func (d sessionDriver) whole(ctx context.Context) error {
	for _, st := range d.steps(ctx) {
		if err := d.do(ctx, st); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
	}
	d.k.runner.Dispatch(session.Finish{})
	return d.waitStep(ctx, session.StepIdle, true)
}

// do runs a step and waits for the screen it leads to. The signing screen
// waits on the held sign call, so busy is right there.
func (d sessionDriver) do(ctx context.Context, st driveStep) error {
	if st.act != nil {
		if err := st.act(); err != nil {
			return err
		}
	}
	return d.waitStep(ctx, st.want, st.want != session.StepSigning)
}

// passBiometrics presses Start until the provider passes the attempt, at
// most three times: an honest attempt is judged a retry now and then (the
// provider analyses a few JPEG frames where the kiosk followed the live
// feed; docs/LIVENESS.md), or the kiosk's own capture misses a move on a
// busy machine (capture_challenge, no attempt spent), and a subscriber
// then simply starts again.
func (d sessionDriver) passBiometrics(ctx context.Context) error {
	r := d.k.runner
	for range 3 {
		before := r.State().BioAttemptsLeft
		r.Dispatch(session.CaptureStart{})
		deadline := time.Now().Add(30 * time.Second)
		started := false // the attempt was seen under way: an error after it is its own
		for {
			s := r.State()
			if s.Step != session.StepBiometrics {
				return nil
			}
			started = started || s.Busy != session.OpNone
			if s.Busy == session.OpNone && (s.BioAttemptsLeft < before || started && s.Err != "") {
				break // judged a retry, or the capture failed: start again
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("no biometric decision (busy %s, err %q)", s.Busy, s.Err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil // the caller's wait says where the session is
}

func (d sessionDriver) consent(kind, name string) error {
	r := d.k.runner
	sum, err := assets.TextSHA256(r.State().Lang, name)
	if err != nil {
		return err
	}
	r.Dispatch(session.ConsentAccepted{Kind: kind, TextSHA256: sum})
	return nil
}

func (d sessionDriver) waitStep(ctx context.Context, st session.Step, idle bool) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s := d.k.runner.State()
		if s.Step == st && (!idle || s.Busy == session.OpNone) {
			return nil
		}
		if s.Step == session.StepEnded && st != session.StepEnded && st != session.StepIdle {
			return fmt.Errorf("session ended: %s (%s)", s.Reason, s.Err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(20 * time.Millisecond)
	}
	s := d.k.runner.State()
	return fmt.Errorf("waiting for %s: at %s (busy %s, err %q)", st, s.Step, s.Busy, s.Err)
}

func (d sessionDriver) waitLang(ctx context.Context, lang string) error {
	for range 500 {
		if d.k.runner.State().Lang == lang {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("language %s not applied", lang)
}

// gatedSign holds the sign call until released, so a driver knows where the
// session is (and the signing screen stays up long enough to photograph).
type gatedSign struct {
	kiosk.Provider
	gate chan struct{}
}

func (g gatedSign) Sign(ctx context.Context, id string, req provider.SignRequest) (provider.SignResponse, error) {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return provider.SignResponse{}, ctx.Err()
	}
	return g.Provider.Sign(ctx, id, req)
}
