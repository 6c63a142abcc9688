package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/ui"
)

// dbOptions: outside demo mode the data folder must already be there (the
// installer makes it; by default it holds the outbox and ticket keys). One
// that is gone is most often a disk that is not mounted, and a fresh empty
// database in its place would hide the real one and its queued packages.
func dbOptions(cfg config.Config) []store.Option {
	if cfg.Demo {
		return nil
	}
	return []store.Option{store.FolderMustExist()}
}

// outOfServiceReason is the out-of-service screen's message for a kiosk
// that cannot start because of its database, "" for any other failure.
func outOfServiceReason(err error) string {
	var e *store.Error
	if !errors.As(err, &e) {
		return ""
	}
	switch e.Kind {
	case store.ErrCorrupt:
		return "oos.database"
	case store.ErrReadOnly:
		return "oos.readonly"
	case store.ErrDiskFull:
		return "oos.disk_full"
	case store.ErrMissing:
		return "oos.missing"
	}
	return ""
}

// withStorageHint adds what happens next, for the one line the terminal
// and the log get.
func withStorageHint(err error) error {
	var e *store.Error
	if !errors.As(err, &e) {
		return err
	}
	hint := "no new sessions until it is writable again; the kiosk starts by itself then"
	switch e.Kind {
	case store.ErrCorrupt:
		hint = "no new sessions until staff restore it (see README, troubleshooting)"
	case store.ErrDiskFull:
		hint = "no new sessions until there is room; the kiosk starts by itself then"
	case store.ErrMissing:
		hint = "no new sessions until the data folder is back (mount its disk or fix data_dir); the kiosk starts by itself then"
	}
	return fmt.Errorf("%w — %s", err, hint)
}

// storageBack is what the out-of-service screen asks to know the database
// can take sessions again; nil for a damaged one, which needs staff to
// restore it (and start the kiosk) rather than waiting.
func storageBack(cfg config.Config, err error) func() bool {
	if outOfServiceReason(err) == "oos.database" {
		return nil
	}
	path := filepath.Join(cfg.DataDir, "kiosk.db")
	return func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		return store.Ready(ctx, path, dbOptions(cfg)...) == nil
	}
}

// oosRecheck is how often the out-of-service screen looks again.
const oosRecheck = 30 * time.Second

// showOutOfService opens the kiosk window with only the out-of-service
// screen until it is closed (staff), the process is stopped, or back says
// the database is usable again — then it returns true and the kiosk starts
// afresh.
func showOutOfService(ctx context.Context, cfg config.Config, reason string, back func() bool) bool {
	a := app.NewWithID("kz.almatel.signkiosk")
	w := a.NewWindow("AlmaTel signkiosk")
	if err := ui.OutOfService(w, reason); err != nil {
		return false
	}
	if cfg.UI.Fullscreen {
		w.SetFullScreen(true)
	} else {
		w.Resize(fyne.NewSize(1280, 800))
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var recovered atomic.Bool
	go func() {
		if back != nil {
			tick := time.NewTicker(oosRecheck)
			defer tick.Stop()
			recovered.Store(waitUntil(ctx, tick.C, back))
		} else {
			<-ctx.Done()
		}
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	return recovered.Load()
}

// waitUntil asks ok at each tick: true as soon as it says so, false when
// ctx ends first.
func waitUntil(ctx context.Context, tick <-chan time.Time, ok func() bool) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case <-tick:
			if ok() {
				return true
			}
		}
	}
}

// restartSelf replaces the process with the same command, so the kiosk
// starts afresh once its database is usable: Fyne cannot open a second app
// in one process.
func restartSelf(stderr io.Writer) int {
	exe, err := os.Executable()
	if err == nil {
		err = syscall.Exec(exe, os.Args, os.Environ())
	}
	fmt.Fprintf(stderr, "signkiosk: start again after the storage fault cleared: %v\n", err)
	return 1
}
