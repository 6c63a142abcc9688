package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// selftest makes a package that verifies, in a temp data dir: the real one
// (SIGNKIOSK_DATA) stays untouched.
//
// Its scratch dir is where the next run finds it: a run killed with -9 left
// private keys and a database behind, and the next selftest removes them.
// The package holds a subscriber's IIN, name, phone and address: 0600.
func TestSelftest(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	real := t.TempDir()
	t.Setenv("SIGNKIOSK_DATA", real)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	base := filepath.Join(tmp, fmt.Sprintf("signkiosk-selftest-%d", os.Getuid()))
	leftover := filepath.Join(base, "run-4242-killed")
	if err := os.MkdirAll(leftover, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(leftover, "device-ed25519.key"), []byte("a key"), 0o600)
	os.WriteFile(filepath.Join(leftover, ".lock"), nil, 0o600)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := runSelftest(context.Background(), []string{"--out", out, "--lang", "ru"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(out, "selftest-*.zip"))
	if roots, _ := filepath.Glob(filepath.Join(out, "selftest-*-nca-roots.pem")); len(roots) != 1 {
		t.Fatalf("roots beside the package: %v", roots)
	}
	if len(files) != 1 || !strings.Contains(stdout.String(), files[0]) {
		t.Fatalf("package %v, stdout %q", files, stdout.String())
	}
	if fi, err := os.Stat(files[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("package mode %v (%v), want 0600", fi.Mode(), err)
	}
	if runs, _ := filepath.Glob(filepath.Join(base, "run-*")); len(runs) != 0 {
		t.Errorf("scratch left behind: %v", runs)
	}
	// The written package verifies through the command too, with the run's
	// roots written beside it; without them nothing is trusted.
	var vout, verr bytes.Buffer
	if code := runVerify(context.Background(), []string{files[0], "--roots", selftestRoots(files[0])}, &vout, &verr); code != 0 {
		t.Fatalf("verify: %d %s%s", code, vout.String(), verr.String())
	}
	vout.Reset()
	if code := runVerify(context.Background(), []string{files[0]}, &vout, &verr); code != exitIndeterminate {
		t.Fatalf("verify without roots: %d %s", code, vout.String())
	}
	if entries, _ := os.ReadDir(real); len(entries) != 0 {
		t.Fatalf("selftest touched the kiosk's data dir: %v", entries)
	}
	if code := runSelftest(context.Background(), nil, &stdout, &stderr); code != 2 {
		t.Fatalf("no --out: exit %d", code)
	}
}

// A selftest killed with -9 leaves its scratch dir (keys, a database); the
// next one removes it, but never the dir of a selftest still running.
func TestSelftestScratchKilled(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	child := exec.Command(os.Args[0], "-test.run=^TestSelftestScratchChild$", "-test.count=1")
	child.Env = append(os.Environ(), "SIGNKIOSK_TEST_SCRATCH_CHILD=1")
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	var dir string
	for sc := bufio.NewScanner(stdout); sc.Scan(); {
		if d, ok := strings.CutPrefix(sc.Text(), "scratch="); ok {
			dir = d
			break
		}
	}
	if dir == "" {
		t.Fatal("the child made no scratch dir")
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("scratch %s: %v %v, want a 0700 dir", dir, fi.Mode(), err)
	}

	// Alive: another selftest leaves it alone.
	s, err := newSelftestScratch()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "device-ed25519.key")); err != nil {
		t.Fatalf("a running selftest's scratch was touched: %v", err)
	}
	s.Close()

	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	stdin.Close()
	if _, err := os.Stat(filepath.Join(dir, "device-ed25519.key")); err != nil {
		t.Fatalf("the killed child's scratch is already gone: %v", err)
	}
	s, err = newSelftestScratch()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the killed selftest's scratch %s is still there: %v", dir, err)
	}
	if _, err := os.Stat(s.Dir); err != nil {
		t.Fatal(err)
	}
}

// TestSelftestScratchChild is TestSelftestScratchKilled's child: it makes a
// scratch dir with a key in it, says where, and waits to be killed.
func TestSelftestScratchChild(t *testing.T) {
	if os.Getenv("SIGNKIOSK_TEST_SCRATCH_CHILD") == "" {
		t.Skip("runs as TestSelftestScratchKilled's child process")
	}
	s, err := newSelftestScratch()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(s.Dir, "device-ed25519.key"), []byte("a key"), 0o600)
	fmt.Printf("scratch=%s\n", s.Dir)
	os.Stdin.Read(make([]byte, 1)) // until killed (or the parent goes away)
}

// A scratch base that is not this user's private folder (another local
// account made it first in the shared /tmp) is refused, not used.
func TestSelftestScratchBaseMustBePrivate(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	base := filepath.Join(tmp, fmt.Sprintf("signkiosk-selftest-%d", os.Getuid()))
	os.Mkdir(base, 0o777)
	os.Chmod(base, 0o777)
	if s, err := newSelftestScratch(); err == nil {
		s.Close()
		t.Fatal("a world-writable scratch base was used")
	}
	os.Remove(base)
	os.Symlink(t.TempDir(), base)
	if s, err := newSelftestScratch(); err == nil {
		s.Close()
		t.Fatal("a symlinked scratch base was used")
	}
}
