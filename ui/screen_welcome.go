package ui

import (
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"

	"almatel.kz/signkiosk/app/session"
)

// newWelcomeScreen greets the subscriber by given name, offers the
// language, says what is ahead, and starts with Begin.
func newWelcomeScreen(u *UI, s session.State, l loc) screen {
	greeting := l.T("welcome.greeting_anon")
	if name := s.Ticket.Order.Subscriber.Given; name != "" {
		greeting = l.T("welcome.greeting", "Name", name)
	}
	begin := button(l.T("welcome.begin"), true, func() { u.k.Dispatch(session.Begin{}) })
	langs := container.NewGridWithColumns(len(languages), langButtons(u, s.Lang, l)...)
	return static{container.NewVBox(
		layout.NewSpacer(),
		title(greeting),
		para(l.T("welcome.intro")),
		para(l.T("welcome.need")),
		subtitle(l.T("welcome.choose_lang")),
		container.NewCenter(sized(langs, 3*220, 72)),
		layout.NewSpacer(),
		container.NewCenter(sized(begin, 420, 84)),
		layout.NewSpacer(),
	)}
}
