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
	// The language choice first and Begin last, each at a fixed place:
	// the texts between them wrap differently in each language, and the
	// buttons must not move under a finger that just switched.
	choose := container.NewVBox(subtitle(l.T("welcome.choose_lang")), container.NewCenter(sized(langs, 3*220, 72)))
	texts := container.NewVBox(layout.NewSpacer(), title(greeting), para(l.T("welcome.intro")), para(l.T("welcome.need")), layout.NewSpacer())
	return static{container.NewBorder(choose, container.NewCenter(sized(begin, 420, 84)), nil, nil, texts)}
}
