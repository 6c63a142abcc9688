package ui

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"almatel.kz/signkiosk/app/session"
)

// busySlowAfter is how long a call may keep the subscriber waiting before
// the waiting overlay offers Cancel (the provider's own timeout is longer).
const busySlowAfter = 8 * time.Second

// overlay is one modal layer (waiting, retry, "still there?", cancel
// confirmation). key names what it shows; setting the same key again keeps
// the popup as it is, so state notifications do not make it flicker.
type overlay struct {
	key    string
	pop    *widget.PopUp
	onHide func()
}

// set shows build's content under key, or hides the layer when key is "".
func (o *overlay) set(c fyne.Canvas, key string, build func() (fyne.CanvasObject, func())) {
	if key == o.key {
		return
	}
	o.hide()
	if key == "" {
		return
	}
	obj, onHide := build()
	o.key, o.onHide = key, onHide
	o.pop = widget.NewModalPopUp(obj, c)
	o.pop.Show()
}

func (o *overlay) hide() {
	if o.pop != nil {
		o.pop.Hide()
	}
	if o.onHide != nil {
		o.onHide()
	}
	o.key, o.pop, o.onHide = "", nil, nil
}

// shown reports whether the layer is up (for tests).
func (o *overlay) shown() bool { return o.pop != nil }

// active reports whether a session is running (the header and overlays
// only make sense then).
func active(s session.State) bool { return s.Step > session.StepIdle && s.Step < session.StepDone }

// overlays puts the modal layers in line with s.
func (u *UI) overlays(s session.State) {
	c, l := u.win.Canvas(), u.cat.in(s.Lang)
	if !active(s) {
		u.busy.hide()
		u.retry.hide()
		u.still.hide()
		u.confirm.hide()
		return
	}

	// The signing and biometrics screens show their own progress: the
	// subscriber must keep seeing the camera or the waiting text.
	if s.Busy != u.busyOp {
		u.busyOp, u.busySince = s.Busy, u.now()
	}
	busyKey := ""
	slow := u.now().Sub(u.busySince) >= busySlowAfter && cancellable(s)
	if s.Busy != session.OpNone && s.Step != session.StepSigning && s.Step != session.StepBiometrics {
		busyKey = fmt.Sprintf("busy:%s:%s:%t", s.Busy, s.Lang, slow)
	}
	u.busy.set(c, busyKey, func() (fyne.CanvasObject, func()) {
		bar := widget.NewProgressBarInfinite()
		if slow {
			// A call that takes this long may be stuck: the subscriber
			// can give up (with the usual confirmation) instead of
			// waiting for the provider's timeout.
			cancel := button(l.T("cancel.button"), false, u.askCancel)
			return box(l.T("busy.wait"), l.Busy(s.Busy)+"\n"+l.T("busy.slow"),
				container.NewVBox(bar, sized(cancel, 0, 64))), bar.Stop
		}
		// Look again every second: the call may turn slow.
		ctx, stop := context.WithCancel(context.Background())
		go u.everySecond(ctx, func() { u.overlays(u.state) })
		return box(l.T("busy.wait"), l.Busy(s.Busy), bar), func() { stop(); bar.Stop() }
	})

	retryKey := ""
	if s.Retry != session.OpNone {
		retryKey = "retry:" + s.Retry.String() + ":" + s.Err + ":" + s.Lang + ":" + strconv.Itoa(s.SealAttempts)
	}
	u.retry.set(c, retryKey, func() (fyne.CanvasObject, func()) {
		buttons := []fyne.CanvasObject{button(l.T("retry.retry"), true, func() { u.k.Dispatch(session.Retry{}) })}
		if cancellable(s) {
			buttons = append(buttons, button(l.T("cancel.button"), false, u.askCancel))
		}
		row := container.NewGridWithColumns(len(buttons), buttons...)
		if s.Retry != session.OpSeal || s.RetryAt.IsZero() {
			return box(l.T("retry.title"), l.Err(s.Err), row), nil
		}
		// The national CA's services are away: the machine tries again by
		// itself; the subscriber sees when, and may try at once.
		next := para("")
		next.TextStyle.Bold = true
		at, attempt := s.RetryAt, s.SealAttempts+1
		show := func() {
			secs := int((at.Sub(u.now()) + time.Second - 1) / time.Second)
			next.SetText(l.T("seal.next", "N", max(secs, 0), "K", attempt))
		}
		show()
		ctx, stop := context.WithCancel(context.Background())
		go u.everySecond(ctx, show)
		return box(l.T("seal.title"), l.Err(s.Err), container.NewVBox(next, row)), stop
	})

	stillKey := ""
	if s.IdleAsked {
		stillKey = "still:" + s.Lang
	}
	u.still.set(c, stillKey, func() (fyne.CanvasObject, func()) {
		yes := button(l.T("still.yes"), true, func() {
			u.lastTouch = u.now()
			u.k.Dispatch(session.Activity{})
		})
		// The countdown ticks on its own: the state only changes when the
		// session ends or someone taps.
		left := para("")
		left.TextStyle.Bold = true
		show := func() {
			secs := int((u.state.IdleEnds.Sub(u.now()) + time.Second - 1) / time.Second)
			left.SetText(l.T("still.countdown", "N", max(secs, 0)))
		}
		show()
		ctx, stop := context.WithCancel(context.Background())
		go u.everySecond(ctx, show)
		return box(l.T("still.title"), l.T("still.body"), container.NewVBox(left, sized(yes, 0, 72))), stop
	})

	if !cancellable(s) {
		u.confirm.hide()
	}
}

// cancellable reports whether Cancel can end the session now: a signature
// that is not yet stored is never thrown away (the machine refuses too).
func cancellable(s session.State) bool { return active(s) && s.Signed == nil }

// askCancel asks "stop signing?" before cancelling.
func (u *UI) askCancel() {
	l := u.loc()
	u.confirm.set(u.win.Canvas(), "cancel:"+u.state.Lang, func() (fyne.CanvasObject, func()) {
		no := button(l.T("cancel.no"), true, func() { u.confirm.hide(); u.touch() })
		yes := button(l.T("cancel.yes"), false, func() {
			u.confirm.hide()
			u.k.Dispatch(session.Cancel{})
		})
		yes.Importance = widget.DangerImportance
		return box(l.T("cancel.title"), l.T("cancel.body"), container.NewGridWithColumns(2, no, yes)), nil
	})
}

// box is a modal's content: a title, a message and the controls below.
func box(heading, message string, controls fyne.CanvasObject) fyne.CanvasObject {
	return container.NewPadded(sized(container.NewVBox(subtitle(heading), para(message), controls), 640, 0))
}
