package kiosk

import (
	"fmt"

	"almatel.kz/signkiosk/app/document"
	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/assets"
)

// Application builds the application a session shows and signs.
func Application(s session.State) (document.Application, error) {
	clause, err := assets.Text(s.Lang, "application")
	if err != nil {
		return document.Application{}, fmt.Errorf("application clause: %w", err)
	}
	return document.Build(s.Lang, s.Ticket.Order, s.Doc, s.Started, string(clause)), nil
}

// TextDocuments renders the application as text. STAND-IN for the PDF of
// the package issue; the interface stays.
type TextDocuments struct{}

// Render implements Documents.
func (TextDocuments) Render(s session.State) ([]byte, error) {
	a, err := Application(s)
	if err != nil {
		return nil, err
	}
	return a.Text(), nil
}
