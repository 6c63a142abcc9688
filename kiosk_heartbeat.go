package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/camera"
	"almatel.kz/signkiosk/sync/heartbeat"
	"almatel.kz/signkiosk/sync/outbox"
)

// configHash is the heartbeat's config_hash: the SHA-256 of the effective
// configuration as loaded, so head office sees which kiosks run the same
// one; "" in demo mode, which has no file.
func configHash(cfg config.Config) string {
	if cfg.Demo {
		return ""
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// beatCollector gathers the kiosk's heartbeat: its release and config,
// the outbox, the camera and the data directory's free space.
type beatCollector struct {
	version, configHash, dataDir string
	outbox                       *outbox.Outbox
	camera                       *camera.Hub
	now                          func() time.Time
}

func (c beatCollector) collect(ctx context.Context) (heartbeat.Beat, error) {
	st, err := c.outbox.Stats(ctx)
	if err != nil {
		return heartbeat.Beat{}, fmt.Errorf("outbox: %w", err)
	}
	b := heartbeat.Beat{Version: c.version, ConfigHash: c.configHash, Pending: st.Pending, Dead: st.Dead,
		LastSync: st.LastSuccess, Camera: heartbeat.CameraIdle}
	if !st.OldestPending.IsZero() {
		b.OldestPendingS = max(int64(c.now().Sub(st.OldestPending)/time.Second), 0)
	}
	if read, err := c.camera.Health(); read && err == nil {
		b.Camera = heartbeat.CameraOK
	} else if read {
		b.Camera = heartbeat.CameraError
	}
	if free, ok := store.FreeSpace(c.dataDir); ok {
		b.FreeDisk = int64(min(free, 1<<62))
	}
	switch {
	case b.Version == "":
		b.Version = "dev"
	case len(b.Version) > 64:
		b.Version = b.Version[:64]
	}
	return b, nil
}
