package ui

import (
	"fyne.io/fyne/v2"

	"almatel.kz/signkiosk/app/provider"
	"almatel.kz/signkiosk/app/session"
)

// screen is one step's content. It is built for one step, session and
// language; update refreshes it for later states of the same step, and stop
// ends whatever it runs in the background and drops what it shows.
type screen interface {
	object() fyne.CanvasObject
	update(s session.State)
	stop()
}

// build makes the screen for s's step.
func (u *UI) build(s session.State, l loc) screen {
	switch s.Step {
	case session.StepWelcome:
		return newWelcomeScreen(u, s, l)
	case session.StepCode:
		return newCodeScreen(u, s, l)
	case session.StepReview:
		return newReviewScreen(u, s, l)
	case session.StepPrivacy:
		return newConsentScreen(u, s, l, provider.ConsentPrivacy)
	case session.StepBiometrics:
		return newBiometricsScreen(u, s, l)
	case session.StepEDSRules:
		return newConsentScreen(u, s, l, provider.ConsentEDSRules)
	case session.StepPassword:
		return newPasswordScreen(u, s, l)
	case session.StepSigning:
		return newSigningScreen(u, s, l)
	case session.StepDone:
		return newDoneScreen(u, s, l)
	case session.StepEnded:
		return newEndedScreen(u, s, l)
	}
	return newIdleScreen(u, s, l)
}

// static is for screens with nothing to refresh or stop.
type static struct{ obj fyne.CanvasObject }

func (st static) object() fyne.CanvasObject { return st.obj }
func (static) update(session.State)         {}
func (static) stop()                        {}
