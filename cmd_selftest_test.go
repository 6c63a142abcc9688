package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// selftest makes a package that verifies, in a temp data dir: the real one
// (SIGNKIOSK_DATA) stays untouched.
func TestSelftest(t *testing.T) {
	real := t.TempDir()
	t.Setenv("SIGNKIOSK_DATA", real)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := runSelftest(context.Background(), []string{"--out", out, "--lang", "ru"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(out, "selftest-*.zip"))
	if len(files) != 1 || !strings.Contains(stdout.String(), files[0]) {
		t.Fatalf("package %v, stdout %q", files, stdout.String())
	}
	// The written package verifies through the command too.
	var vout, verr bytes.Buffer
	if code := runVerify(context.Background(), []string{files[0]}, &vout, &verr); code != 0 {
		t.Fatalf("verify: %d %s%s", code, vout.String(), verr.String())
	}
	if entries, _ := os.ReadDir(real); len(entries) != 0 {
		t.Fatalf("selftest touched the kiosk's data dir: %v", entries)
	}
	if code := runSelftest(context.Background(), nil, &stdout, &stderr); code != 2 {
		t.Fatalf("no --out: exit %d", code)
	}
}
