package demo

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// The demo ticket's QR carries the demo subscriber's IIN, name and phone:
// it is 0600 whatever the umask, also over an older 0644 one.
func TestDemoTicketQRIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "demo-ticket.png"), []byte("older"), 0o644)
	env, err := Start(dir, "ALM-001", time.Now, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close(context.Background())
	_, p, err := env.NewTicket()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() < 100 {
		t.Fatalf("%s: %v %v", p, fi.Mode(), err)
	}
}
