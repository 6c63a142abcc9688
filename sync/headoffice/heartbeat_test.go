package headoffice

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/sync/heartbeat"
)

func (f *fixture) beat(c *http.Client, body []byte) (int, heartbeat.Ack, ErrorBody) {
	f.t.Helper()
	resp, err := c.Post(f.api.URL+heartbeat.Path, "application/json", bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&raw)
	var ack heartbeat.Ack
	var eb ErrorBody
	_ = json.Unmarshal(raw, &ack)
	_ = json.Unmarshal(raw, &eb)
	return resp.StatusCode, ack, eb
}

// An enrolled kiosk's beat is kept, newest wins, with the kiosk's clock
// offset; a bad beat and a kiosk not enrolled are refused (a revoked
// kiosk's connection is, by TLSConfig).
func TestHeartbeat(t *testing.T) {
	f := newFailedFixture(t)
	now := time.Unix(0, f.now.Load()).UTC()
	beat := heartbeat.Beat{Version: "v1", Pending: 2, Camera: heartbeat.CameraOK, FreeDisk: 1 << 30, SentAt: now.Add(90 * time.Second)}
	body, _ := json.Marshal(beat)
	code, ack, eb := f.beat(f.client, body)
	if code != http.StatusOK || !ack.ReceivedAt.Equal(now) || ack.OffsetMS != 90_000 {
		t.Fatalf("beat: %d %+v %+v", code, ack, eb)
	}
	f.now.Store(now.Add(heartbeat.Every).UnixNano())
	beat.Pending, beat.SentAt = 0, now.Add(heartbeat.Every)
	body, _ = json.Marshal(beat)
	if code, _, eb := f.beat(f.client, body); code != http.StatusOK {
		t.Fatalf("second beat: %d %+v", code, eb)
	}
	bs, err := f.db.Beats(t.Context())
	if err != nil || len(bs) != 1 || bs[0].Kiosk != kioskID || bs[0].Beats != 2 || bs[0].Beat.Pending != 0 || bs[0].OffsetMS != 0 {
		t.Fatalf("held beats %+v %v", bs, err)
	}
	for name, b := range map[string]string{
		"not json":       `beat`,
		"duplicate key":  `{"version":"v1","version":"v2","camera":"ok","sent_at":"2026-11-24T12:00:00Z"}`,
		"no version":     `{"camera":"ok","sent_at":"2026-11-24T12:00:00Z"}`,
		"bad camera":     `{"version":"v1","camera":"on fire","sent_at":"2026-11-24T12:00:00Z"}`,
		"negative count": `{"version":"v1","camera":"ok","outbox_pending":-1,"sent_at":"2026-11-24T12:00:00Z"}`,
		"too long":       `{"version":"v1","camera":"ok","sent_at":"2026-11-24T12:00:00Z","config_hash":"` + strings.Repeat("a", 5000) + `"}`,
	} {
		if code, _, eb := f.beat(f.client, []byte(b)); code != http.StatusBadRequest || eb.Error != CodeBadRequest {
			t.Errorf("%s: %d %+v", name, code, eb)
		}
	}
	// K3 has a client certificate but is not in the register.
	body, _ = json.Marshal(beat)
	if code, _, eb := f.beat(f.kioskClient(f.pki, "ALM-001-K3"), body); code != http.StatusForbidden {
		t.Errorf("a kiosk not enrolled: %d %+v", code, eb)
	}
	if bs, _ := f.db.Beats(t.Context()); len(bs) != 1 {
		t.Errorf("refused beats were kept: %+v", bs)
	}
	f.assertNoPII()
}
