package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/camera"
	"almatel.kz/signkiosk/sync/heartbeat"
	"almatel.kz/signkiosk/sync/outbox"
)

// The kiosk's beat says what its outbox and camera are doing; it passes
// head office's check.
func TestBeatCollector(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "kiosk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key, err := outbox.LoadOrCreateKey(filepath.Join(dir, "outbox.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.Open(ctx, db, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	queued := time.Now().Add(-time.Hour)
	if err := ob.Enqueue(ctx, outbox.Package{ID: "0b7c5a8e-4f0d-4c1a-9e57-2d1f6c3b8a90", TicketID: "t-1", SignedAt: queued, Zip: []byte("PK")}); err != nil {
		t.Fatal(err)
	}
	hub := camera.NewHub(camera.NewSynthetic(64, 48, 30))
	defer hub.Close()
	c := beatCollector{version: "v9", configHash: configHash(config.Config{KioskID: "K1"}), dataDir: dir, outbox: ob, camera: hub,
		now: func() time.Time { return time.Now().Add(time.Hour) }}
	b, err := c.collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b.SentAt = time.Now()
	if err := b.Check(); err != nil {
		t.Fatalf("the kiosk's beat fails head office's check: %v (%+v)", err, b)
	}
	if b.Version != "v9" || b.Pending != 1 || b.Dead != 0 || b.Camera != heartbeat.CameraIdle || b.OldestPendingS < 3600 || b.FreeDisk <= 0 || len(b.ConfigHash) != 64 {
		t.Errorf("beat %+v", b)
	}
	if configHash(config.Config{Demo: true}) != "" {
		t.Error("demo mode has a config hash")
	}
}
