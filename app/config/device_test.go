package config

import (
	"errors"
	"strings"
	"testing"
)

func TestDeviceCert(t *testing.T) {
	c, err := Load("../../docs/signkiosk.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.Device.CertFile(c.Demo); err != nil || p != "/etc/signkiosk/device.pem" {
		t.Fatalf("example: %q %v", p, err)
	}
	// The tools share the file and sign nothing; the kiosk refuses to
	// start without one.
	c, err = Load(write(t, good))
	if err != nil {
		t.Fatalf("no device.cert refused by Load: %v", err)
	}
	if _, err := c.Device.CertFile(c.Demo); !errors.Is(err, ErrNoDeviceCert) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("no device.cert outside demo: %v", err)
	}
	if p, err := (Device{}).CertFile(true); p != "" || err != nil {
		t.Fatalf("demo: %q %v", p, err)
	}
	if _, err := Load(write(t, good+"\n[device]\ncert = \"d.pem\"\nkey = \"x\"\n")); err == nil || !strings.Contains(err.Error(), "device.key") {
		t.Fatalf("unknown device key accepted: %v", err)
	}
}
