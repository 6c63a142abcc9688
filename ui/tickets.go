package ui

import (
	"errors"
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
		is.openPicture(r)
	}, is.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".png", ".jpg", ".jpeg", ".PNG", ".JPG", ".JPEG"}))
	if sz := is.u.win.Canvas().Size(); sz.Width > 0 {
		d.Resize(fyne.NewSize(sz.Width*0.9, sz.Height*0.9))
	}
	d.Show()
}

// openPicture reads a ticket from the picture staff chose, off the UI thread.
func (is *idleScreen) openPicture(r io.ReadCloser) {
	go func() {
		text, err := decodeQR(r)
		is.scanned(text, err)
	}()
}

// scanned hands a decoded ticket to the kiosk (any goroutine).
func (is *idleScreen) scanned(text string, err error) {
	if err != nil {
		// The error names sizes and formats, never the picture's content.
		is.u.log.Info().Err(err).Msg("no ticket QR in picture")
		is.u.do(func() { is.say(is.l.Err(pictureErrCode(err))) })
		return
	}
	is.u.k.Scan(text)
}

// pictureErrCode is the message for why a picture gave no ticket text.
func pictureErrCode(err error) string {
	switch {
	case errors.Is(err, camera.ErrPictureTooLarge):
		return "picture_too_large"
	case errors.Is(err, camera.ErrNotPicture):
		return "not_picture"
	}
	return "no_qr"
}

// decodeQR reads a picture within camera.DecodePicture's limits (an image
// bomb is refused from its header) and the QR code in it.
func decodeQR(r io.ReadCloser) (string, error) {
	defer r.Close()
	img, err := camera.DecodePicture(r)
	if err != nil {
		return "", err
	}
	return camera.DecodePictureQR(img)
}
