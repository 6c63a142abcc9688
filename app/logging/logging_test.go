package logging

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestOpenWritesJSONFileAndConsole(t *testing.T) {
	dir := t.TempDir()
	var console bytes.Buffer
	log, c, err := Open(dir, &console, zerolog.InfoLevel)
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Str("event", "x").Msg("hello")
	log.Debug().Msg("hidden")
	c.Close()
	data, err := os.ReadFile(filepath.Join(dir, "signkiosk.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 1 {
		t.Fatalf("want 1 line, got %q", data)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil || m["event"] != "x" || m["time"] == nil {
		t.Fatalf("line %q: %v", lines[0], err)
	}
	if !strings.Contains(console.String(), "hello") {
		t.Fatalf("console %q", console.String())
	}
	fi, _ := os.Stat(filepath.Join(dir, "signkiosk.log"))
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("log mode %v", fi.Mode())
	}
}

func TestOpenBadDir(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if _, _, err := Open(filepath.Join(f, "sub"), nil, zerolog.InfoLevel); err == nil {
		t.Fatal("want error")
	}
}
