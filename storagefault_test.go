package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/app/store/storetest"
	"almatel.kz/signkiosk/sync/outbox"
)

// assembleFails starts the kiosk's parts from cfg and returns the error,
// which must name one storage kind and be one line.
func assembleFails(t *testing.T, cfg config.Config, reason, says string) error {
	t.Helper()
	k, err := assemble(cfg, io.Discard, io.Discard, portWraps{})
	if err == nil {
		k.close()
		t.Fatalf("the kiosk started; want %s", reason)
	}
	if got := outOfServiceReason(err); got != reason {
		t.Fatalf("out-of-service reason %q, want %q: %v", got, reason, err)
	}
	line := oneLineErr(err)
	if !strings.Contains(line, says) || !strings.Contains(line, "kiosk database ") || !strings.Contains(line, "no new sessions") {
		t.Fatalf("message %q: want the database named, %q and what happens next", line, says)
	}
	t.Log(line)
	return err
}

// A production data folder that is not there (a disk not mounted): "missing",
// and nothing is made in its place — not the folder, not its log.
func TestAssembleMissingDataFolder(t *testing.T) {
	cfgPath, dir := kioskConfig(t)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = filepath.Join(dir, "unmounted", "signkiosk")
	assembleFails(t, cfg, "oos.missing", "does not exist")
	if _, err := os.Stat(filepath.Join(dir, "unmounted")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a folder was made for the missing data folder (%v)", err)
	}
	if storageBack(cfg, nil)() {
		t.Fatal("the out-of-service screen would start the kiosk while the folder is gone")
	}
	os.MkdirAll(cfg.DataDir, 0o700)
	if !storageBack(cfg, nil)() {
		t.Fatal("the folder is back but the out-of-service screen keeps waiting")
	}
}

// demoOnTmpfs is a demo kiosk's data folder on its own small tmpfs, made by
// one clean start and stop, for a test to spoil.
func demoOnTmpfs(t *testing.T) (string, config.Config) {
	t.Helper()
	dir := storetest.Tmpfs(t, "32m")
	cfg, err := config.LoadDemo(dir)
	if err != nil {
		t.Fatal(err)
	}
	k, err := assemble(cfg, io.Discard, io.Discard, portWraps{})
	if err != nil {
		t.Fatal(err)
	}
	k.close()
	return dir, cfg
}

// A read-only data folder is "not writable", not "damaged".
func TestAssembleReadOnlyDataFolder(t *testing.T) {
	dir, cfg := demoOnTmpfs(t)
	storetest.RemountRO(t, dir)
	assembleFails(t, cfg, "oos.readonly", "not writable (read-only file system)")
	if storageBack(cfg, nil)() {
		t.Fatal("the out-of-service screen would start the kiosk on a read-only disk")
	}
}

// A full disk after a clean stop is "disk full", not "damaged"; with room
// again the out-of-service screen starts the kiosk.
func TestAssembleDiskFull(t *testing.T) {
	dir, cfg := demoOnTmpfs(t)
	filler := storetest.Fill(t, dir)
	err := assembleFails(t, cfg, "oos.disk_full", "disk is full")
	back := storageBack(cfg, err)
	if back() {
		t.Fatal("the out-of-service screen would start the kiosk on a full disk")
	}
	os.Remove(filler)
	if !back() {
		t.Fatal("room again, but the out-of-service screen keeps waiting")
	}
}

// Only the database's own faults take the out-of-service screen; a damaged
// one waits for staff, not for itself.
func TestOutOfServiceReasons(t *testing.T) {
	if r := outOfServiceReason(config.Fault(errors.New("outbox key: missing"))); r != "" {
		t.Fatalf("a config fault shows the out-of-service screen: %q", r)
	}
	if r := outOfServiceReason(&os.PathError{Op: "open", Path: "/dev/video0", Err: syscall.EACCES}); r != "" {
		t.Fatalf("a camera's permission error reads as a read-only database: %q", r)
	}
	damaged := &store.Error{Path: "/d/kiosk.db", Kind: store.ErrCorrupt, Detail: "damaged"}
	if outOfServiceReason(damaged) != "oos.database" || storageBack(config.Config{}, damaged) != nil {
		t.Fatal("a damaged database must show oos.database and wait for staff")
	}
}

// The out-of-service screen's wait: it asks at each tick, stops at the
// first yes, and gives up when the kiosk is stopped.
func TestWaitUntil(t *testing.T) {
	tick := make(chan time.Time)
	asked := 0
	done := make(chan bool)
	go func() { done <- waitUntil(context.Background(), tick, func() bool { asked++; return asked == 3 }) }()
	for range 3 {
		tick <- time.Time{}
	}
	if !<-done || asked != 3 {
		t.Fatalf("asked %d times", asked)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if waitUntil(ctx, tick, func() bool { return true }) {
		t.Fatal("a stopped kiosk went on waiting and said yes")
	}
}

// `signkiosk outbox` on a data folder that went read-only, or on a full
// disk, says which in one line (exit 1) — not "damaged".
func TestOutboxCommandStorageFaults(t *testing.T) {
	for _, c := range []struct {
		name, says string
		spoil      func(t *testing.T, dir string)
	}{
		{"read-only", "not writable (read-only file system)", func(t *testing.T, dir string) { storetest.RemountRO(t, dir) }},
		{"full", "disk is full", func(t *testing.T, dir string) { storetest.Fill(t, dir) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := storetest.Tmpfs(t, "8m")
			t.Setenv(config.EnvDataDir, dir)
			t.Setenv(config.EnvConfig, "")
			ob, db := openTestOutbox(t, dir)
			pkg := outbox.Package{ID: "pkg-a", TicketID: "t-a", SignedAt: time.Now(), Zip: []byte("PK zip")}
			if err := ob.Enqueue(context.Background(), pkg); err != nil {
				t.Fatal(err)
			}
			db.Close()
			c.spoil(t, dir)
			code, _, errOut := runOutboxT()
			if code != 1 || !strings.Contains(errOut, c.says) || strings.Contains(errOut, "damaged") || strings.Count(errOut, "\n") != 1 {
				t.Fatalf("exit %d, stderr %q; want 1 and one line saying %q", code, errOut, c.says)
			}
		})
	}
}
