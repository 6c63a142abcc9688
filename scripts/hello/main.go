// Command hello is the yardstick of `make probe` (scripts/probe.sh): a
// full-screen Fyne window with one label, built with the kiosk's own Fyne,
// so the kiosk's idle cost can be read against what Fyne itself costs under
// the same X server. With -preview it also shows a changing picture of that
// size at -fps frames a second (two prepared frames in turn, so no Go work
// per frame): the floor of any camera preview on this X server.
package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

func main() {
	preview := flag.String("preview", "", "show a changing WxH picture too, e.g. 800x450")
	fps := flag.Int("fps", 15, "the picture's frames a second")
	flag.Parse()
	var w, h int
	if *preview != "" {
		if _, err := fmt.Sscanf(*preview, "%dx%d", &w, &h); err != nil || w <= 0 || h <= 0 || *fps <= 0 {
			fmt.Fprintf(os.Stderr, "hello: -preview %q is not WxH, or -fps %d is not positive\n", *preview, *fps)
			os.Exit(2)
		}
	}
	a := app.NewWithID("kz.almatel.signkiosk.hello")
	win := a.NewWindow("hello")
	label := widget.NewLabel("Hello, AlmaTel")
	content := fyne.CanvasObject(container.NewCenter(label))
	var img *canvas.Image
	if w > 0 {
		img = canvas.NewImageFromImage(nil)
		img.FillMode = canvas.ImageFillContain
		img.ScaleMode = canvas.ImageScaleFastest
		img.SetMinSize(fyne.NewSize(float32(w), float32(h)))
		content = container.NewCenter(container.NewVBox(label, img))
	}
	win.SetContent(content)
	win.SetFullScreen(true)
	a.Lifecycle().SetOnStarted(func() {
		fmt.Printf("probe: on hello (pid %d)\n", os.Getpid())
		if img != nil {
			go animate(img, w, h, *fps)
		}
	})
	win.Resize(fyne.NewSize(1280, 720))
	win.ShowAndRun()
}

// animate shows two prepared frames in turn at fps.
func animate(img *canvas.Image, w, h, fps int) {
	var frames [2]*image.RGBA
	for i := range frames {
		f := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				v := uint8((x + y + 64*i) % 256)
				f.SetRGBA(x, y, color.RGBA{v, v / 2, 255 - v, 255})
			}
		}
		frames[i] = f
	}
	t := time.NewTicker(time.Second / time.Duration(fps))
	for n := 0; ; n++ {
		<-t.C
		f := frames[n%2]
		fyne.Do(func() {
			img.Image = f
			img.Refresh()
		})
	}
}
