package ticket

import (
	"testing"
	"time"
)

func TestNewPayload(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 500, time.UTC)
	a := NewPayload(DemoOrder(), "ALM-001", "S-0042", now, time.Hour)
	b := NewPayload(DemoOrder(), "ALM-001", "S-0042", now, time.Hour)
	if err := a.Validate(); err != nil {
		t.Fatalf("demo payload invalid: %v", err)
	}
	if a.TID == b.TID {
		t.Fatal("two payloads share a ticket id")
	}
	if a.IAT != now.Unix() || a.EXP != now.Unix()+3600 || a.V != Version {
		t.Fatalf("times/version wrong: %+v", a)
	}
}
