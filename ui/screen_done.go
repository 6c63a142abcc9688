package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"almatel.kz/signkiosk/app/session"
)

// qrSide is the done screen's QR size on screen: a phone reads it from a
// metre away.
const qrSide = 360

// doneScreen shows the download QR of the signed package, its id and the
// AlmaPLUS note.
type doneScreen struct {
	obj fyne.CanvasObject
	qr  *canvas.Image // nil when there is no receipt
}

func newDoneScreen(u *UI, s session.State, l loc) *doneScreen {
	ds := &doneScreen{}
	info := container.NewVBox(title(l.T("done.title")))
	var code fyne.CanvasObject = layout.NewSpacer()
	if rc := s.Receipt; rc != nil {
		if img, err := qrImage(rc.DownloadURL); err != nil {
			u.log.Error().Err(err).Msg("download QR")
		} else {
			ds.qr = img
			code = ds.qr
		}
		info.Add(para(l.T("done.scan")))
		pkg := widget.NewLabelWithStyle(l.T("done.package", "ID", rc.PackageID), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		pkg.Wrapping = fyne.TextWrapWord
		info.Add(pkg)
	}
	info.Add(para(l.T("done.almaplus")))
	info.Add(para(l.T("done.remember")))
	finish := button(l.T("done.finish"), true, func() { u.k.Dispatch(session.Finish{}) })
	ds.obj = container.NewBorder(nil, container.NewCenter(sized(finish, 420, 84)), nil, nil,
		container.NewBorder(nil, nil, container.NewCenter(code), nil, container.NewVScroll(info)))
	return ds
}

// qrImage renders text as a QR code image, drawn pixel-sharp.
func qrImage(text string) (*canvas.Image, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	img := canvas.NewImageFromImage(q.Image(512))
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScalePixels
	img.SetMinSize(fyne.NewSize(qrSide, qrSide))
	return img, nil
}

func (ds *doneScreen) object() fyne.CanvasObject { return ds.obj }
func (ds *doneScreen) update(session.State)      {}
func (ds *doneScreen) stop()                     {}
