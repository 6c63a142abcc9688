package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"almatel.kz/signkiosk/app/ticket"
)

// The ticket QR holds the subscriber's IIN, name, phone and address: it is
// written 0600 whatever the umask, also over a file that was 0644.
func TestTicketQRFileIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ticketEnv(t)
	out := t.TempDir()
	qr := filepath.Join(out, "ticket.png")
	os.WriteFile(qr, []byte("an older picture"), 0o644)
	if r := runCmd(t, runTicket, "new", "--qr", qr); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	fi, err := os.Stat(qr)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("QR file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	f, _ := os.Open(qr)
	defer f.Close()
	if _, err := png.DecodeConfig(f); err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 1 {
		t.Fatalf("left behind: %v", ents)
	}
}

// A ticket signing key that others can read is refused, with one line and
// exit 2 (a fault of the setup, not of a ticket).
func TestTicketKeyReadableByOthers(t *testing.T) {
	dir := ticketEnv(t)
	if r := runCmd(t, runTicket, "new"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	key := filepath.Join(dir, ticket.PrivateKeyFile)
	os.Chmod(key, 0o644)
	r := runCmd(t, runTicket, "new")
	want := "ticket new: ticket key " + key + ": mode 0644 lets others read it; chmod 600 it\n"
	if r.code != 2 || r.stderr != want || r.stdout != "" {
		t.Fatalf("data dir key: exit %d, stderr %q; want 2 and %q", r.code, r.stderr, want)
	}
	r = runCmd(t, runTicket, "new", "--key", key)
	if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "mode 0644 lets others read it") {
		t.Fatalf("--key: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCmd(t, runTicket, "new", "--key", filepath.Join(dir, "none.key")); r.code != 2 {
		t.Fatalf("missing --key: exit %d, stderr %q", r.code, r.stderr)
	}
}

// On a full disk `ticket new --qr` leaves no PNG at all (it used to leave a
// 0-byte or cut-off one). A child process writes under RLIMIT_FSIZE below
// the PNG's size: the kernel then fails the write part way, as a full disk
// does, without needing root to mount a tiny file system.
func TestTicketQRFullDisk(t *testing.T) {
	dir := ticketEnv(t)
	probe := filepath.Join(t.TempDir(), "probe.png")
	if r := runCmd(t, runTicket, "new", "--qr", probe); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	fi, err := os.Stat(probe)
	if err != nil || fi.Size() < 200 {
		t.Fatalf("probe PNG: %v", err)
	}
	out := t.TempDir()
	qr := filepath.Join(out, "ticket.png")
	cmd := exec.Command(os.Args[0], "-test.run=^TestTicketQRFullDiskChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SIGNKIOSK_TEST_QR_CHILD="+strconv.FormatInt(fi.Size()/2, 10),
		"SIGNKIOSK_TEST_QR_KEY="+filepath.Join(dir, ticket.PrivateKeyFile), "SIGNKIOSK_TEST_QR_OUT="+qr)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, b)
	}
	m := regexp.MustCompile(`(?m)^exit=(\d+) stderr=(.*)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("child said:\n%s", b)
	}
	if string(m[1]) != "1" || !strings.Contains(string(m[2]), "file too large") {
		t.Fatalf("ticket new under a full disk: exit %s, stderr %s", m[1], m[2])
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		fi, _ := os.Stat(qr)
		t.Fatalf("left behind: %v (%v)", ents, fi)
	}
}

// TestTicketQRFullDiskChild is TestTicketQRFullDisk's child process.
func TestTicketQRFullDiskChild(t *testing.T) {
	limit, err := strconv.ParseUint(os.Getenv("SIGNKIOSK_TEST_QR_CHILD"), 10, 64)
	if err != nil {
		t.Skip("runs as TestTicketQRFullDisk's child process")
	}
	// Without this SIGXFSZ ends the process; ignored, the write fails with
	// EFBIG like ENOSPC on a full disk.
	signal.Ignore(syscall.SIGXFSZ)
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &rl); err != nil {
		t.Fatal(err)
	}
	rl.Cur = limit
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &rl); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := runTicket(context.Background(), []string{"new", "--key", os.Getenv("SIGNKIOSK_TEST_QR_KEY"), "--qr", os.Getenv("SIGNKIOSK_TEST_QR_OUT")}, &stdout, &stderr)
	fmt.Printf("exit=%d stderr=%s\n", code, strings.TrimSpace(stderr.String()))
}
