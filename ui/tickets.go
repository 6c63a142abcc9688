package ui

import (
	"image"
	_ "image/jpeg" // ticket pictures may be JPEG
	_ "image/png"  // or PNG
	"io"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"almatel.kz/signkiosk/camera"
)

// Tickets that do not come through the camera: the demo button and the
// staff's "open ticket image". Both decode the QR from a picture and go
// through Kiosk.Scan, so they take the same verification path as a scan.

// demoTicket makes a fresh demo ticket and scans its QR picture.
func (is *idleScreen) demoTicket() {
	newQR := is.u.demo.NewTicketQR
	go func() {
		path, err := newQR()
		if err != nil {
			is.u.log.Error().Err(err).Msg("demo ticket not made")
			is.u.do(func() { is.say(is.l.Err("ticket_error")) })
			return
		}
		text, err := camera.DecodeQRFile(path)
		is.scanned(text, err)
	}()
}

// openTicket lets staff pick a ticket picture (a phone screenshot, a scan).
func (is *idleScreen) openTicket() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return // closed without a choice
		}
		go func() {
			text, err := decodeQR(r)
			is.scanned(text, err)
		}()
	}, is.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg", ".PNG", ".JPG", ".JPEG"}))
	if sz := is.u.win.Canvas().Size(); sz.Width > 0 {
		d.Resize(fyne.NewSize(sz.Width*0.9, sz.Height*0.9))
	}
	d.Show()
}

// scanned hands a decoded ticket to the kiosk (any goroutine).
func (is *idleScreen) scanned(text string, err error) {
	if err != nil {
		is.u.log.Info().Err(err).Msg("no ticket QR in picture")
		is.u.do(func() { is.say(is.l.Err("no_qr")) })
		return
	}
	is.u.k.Scan(text)
}

func decodeQR(r io.ReadCloser) (string, error) {
	defer r.Close()
	img, _, err := image.Decode(r)
	if err != nil {
		return "", err
	}
	return camera.DecodeQR(img)
}
