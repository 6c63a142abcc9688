package heartbeat

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	good := Beat{Version: "v1", ConfigHash: strings.Repeat("0f", 32), Pending: 1, Camera: CameraOK, SentAt: at}
	b, _ := json.Marshal(good)
	got, err := Parse(b)
	if err != nil || got != good {
		t.Fatalf("Parse(%s) = %+v, %v", b, got, err)
	}
	for name, mut := range map[string]func(*Beat){
		"no version":    func(b *Beat) { b.Version = "" },
		"long version":  func(b *Beat) { b.Version = strings.Repeat("v", 65) },
		"upper hash":    func(b *Beat) { b.ConfigHash = strings.Repeat("0F", 32) },
		"short hash":    func(b *Beat) { b.ConfigHash = "abc" },
		"negative dead": func(b *Beat) { b.Dead = -1 },
		"negative age":  func(b *Beat) { b.OldestPendingS = -5 },
		"camera":        func(b *Beat) { b.Camera = "" },
		"no time":       func(b *Beat) { b.SentAt = time.Time{} },
	} {
		bad := good
		mut(&bad)
		raw, _ := json.Marshal(bad)
		if _, err := Parse(raw); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, raw := range map[string]string{
		"duplicate": `{"version":"v1","camera":"ok","camera":"error","sent_at":"2026-12-04T09:00:00Z"}`,
		"too big":   `{"version":"` + strings.Repeat("v", MaxBody) + `"}`,
		"not json":  `v1`,
	} {
		if _, err := Parse([]byte(raw)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A newer kiosk's field is dropped: the beat counts, the field is never kept.
func TestParseDropsUnknownFields(t *testing.T) {
	b, err := Parse([]byte(`{"version":"v2","camera":"ok","sent_at":"2026-12-04T09:00:00Z","printer":"jammed"}`))
	if err != nil || b.Version != "v2" {
		t.Fatalf("%+v %v", b, err)
	}
	if raw, _ := json.Marshal(b); strings.Contains(string(raw), "printer") {
		t.Errorf("kept: %s", raw)
	}
}

// Whatever the bytes, Parse either refuses them or gives a beat that
// passes its own check and says the same again.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version":"v1","camera":"ok","sent_at":"2026-12-04T09:00:00Z"}`))
	f.Add([]byte(`{"version":"v1","config_hash":"","outbox_pending":3,"outbox_dead":0,"oldest_pending_s":60,"camera":"idle","free_disk_bytes":1,"sent_at":"2026-12-04T09:00:00+05:00"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := Parse(raw)
		if err != nil {
			return
		}
		if err := b.Check(); err != nil {
			t.Fatalf("parsed beat fails its check: %v", err)
		}
		again, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if b2, err := Parse(again); err != nil || !b2.SentAt.Equal(b.SentAt) || b2.Version != b.Version {
			t.Fatalf("round trip: %+v %v", b2, err)
		}
	})
}
