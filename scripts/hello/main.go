// Command hello is the yardstick of `make probe` (scripts/probe.sh): a
// full-screen Fyne window with one label, built with the kiosk's own Fyne,
// so the kiosk's idle cost can be read against what Fyne itself costs under
// the same X server.
package main

import (
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("kz.almatel.signkiosk.hello")
	w := a.NewWindow("hello")
	w.SetContent(container.NewCenter(widget.NewLabel("Hello, AlmaTel")))
	w.SetFullScreen(true)
	a.Lifecycle().SetOnStarted(func() { fmt.Printf("probe: on hello (pid %d)\n", os.Getpid()) })
	w.Resize(fyne.NewSize(1280, 720))
	w.ShowAndRun()
}
