package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/sync/outbox"
)

// outboxEnv is a demo data dir holding an outbox with three packages: one
// pending, one delivered, one dead.
func outboxEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(config.EnvDataDir, dir)
	t.Setenv(config.EnvConfig, "")
	ctx := context.Background()
	ob, db := openTestOutbox(t, dir)
	defer db.Close()
	for _, id := range []string{"pkg-a", "pkg-b", "pkg-c"} {
		// The ZIP stands for a real package, personal data included.
		zip := []byte("PK subject_iin 900101300123 " + id)
		if err := ob.Enqueue(ctx, outbox.Package{ID: id, TicketID: "t-" + id, SignedAt: time.Now(), Zip: zip}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ob.MarkDelivered(ctx, "pkg-b"); err != nil {
		t.Fatal(err)
	}
	if err := ob.MarkFailed(ctx, "pkg-c", "head office answered 409", time.Time{}, true); err != nil {
		t.Fatal(err)
	}
	if err := ob.RecordSync(ctx, false); err != nil {
		t.Fatal(err)
	}
	return dir
}

// openTestOutbox opens the outbox in dir the way the kiosk does (its key
// file, made if missing, and the SQLite store); the caller closes db.
func openTestOutbox(t *testing.T, dir string) (*outbox.Outbox, *sql.DB) {
	t.Helper()
	ctx := context.Background()
	key, err := outbox.LoadOrCreateKey(filepath.Join(dir, "outbox.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "kiosk.db"))
	if err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.Open(ctx, db, key, nil)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	return ob, db
}

// statusField is the value after label on its line of the status output.
func statusField(out, label string) string {
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, label); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func runOutboxT(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := runOutbox(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestOutboxCommand(t *testing.T) {
	outboxEnv(t)

	code, out, errOut := runOutboxT()
	if code != 0 || errOut != "" {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	for label, want := range map[string]string{"pending:": "1", "delivered:": "1  (0 purged", "dead:": "1",
		"oldest pending:": "ago)", "last sync attempt:": "ago)", "last success:": "never"} {
		if got := statusField(out, label); !strings.HasPrefix(got, want) && !strings.HasSuffix(got, want) {
			t.Errorf("status %s %q, want %q:\n%s", label, got, want, out)
		}
	}
	if !strings.Contains(out, "1 dead letter") {
		t.Errorf("status does not point at the dead letter:\n%s", out)
	}

	code, out, errOut = runOutboxT("list", "--limit", "2")
	if code != 0 || errOut != "" {
		t.Fatalf("list: exit %d\n%s%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "pkg-c") ||
		!strings.Contains(lines[1], "dead") || !strings.Contains(lines[1], "409") || !strings.Contains(lines[2], "delivered") {
		t.Fatalf("list:\n%s", out)
	}

	code, out, _ = runOutboxT("requeue", "pkg-a", "pkg-c")
	if code != 0 || !strings.Contains(out, "requeued 1 of 2") {
		t.Fatalf("requeue ids: exit %d\n%s", code, out)
	}
	code, out, _ = runOutboxT("requeue")
	if code != 0 || !strings.Contains(out, "requeued 0 dead") {
		t.Fatalf("requeue all: exit %d\n%s", code, out)
	}
	code, out, _ = runOutboxT()
	if code != 0 || statusField(out, "dead:") != "0" || statusField(out, "pending:") != "2" {
		t.Fatalf("status after requeue: exit %d\n%s", code, out)
	}
}

func TestOutboxCommandNoPersonalData(t *testing.T) {
	outboxEnv(t)
	for _, args := range [][]string{nil, {"list"}, {"requeue"}} {
		_, out, errOut := runOutboxT(args...)
		if strings.Contains(out+errOut, "900101300123") || strings.Contains(out+errOut, "t-pkg") {
			t.Errorf("%v shows personal data or ticket ids:\n%s%s", args, out, errOut)
		}
	}
}

func TestOutboxCommandBadInput(t *testing.T) {
	oneLine := func(t *testing.T, s string) {
		t.Helper()
		if strings.Count(s, "\n") != 1 {
			t.Errorf("want one line on stderr, got:\n%s", s)
		}
	}

	t.Run("usage", func(t *testing.T) {
		outboxEnv(t)
		for _, args := range [][]string{{"frobnicate"}, {"list", "extra"}, {"list", "--limit", "0"}, {"--nope"}} {
			if code, _, _ := runOutboxT(args...); code != 2 {
				t.Errorf("%v: exit %d, want 2", args, code)
			}
		}
		if code, _, _ := runOutboxT("--help"); code != 0 {
			t.Errorf("--help: exit %d", code)
		}
	})

	t.Run("bad config", func(t *testing.T) {
		outboxEnv(t)
		p := filepath.Join(t.TempDir(), "c.toml")
		os.WriteFile(p, []byte("no_such_key = 1\n"), 0o600)
		code, _, errOut := runOutboxT("--config", p)
		if code != 2 || !strings.Contains(errOut, "unknown key") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		oneLine(t, errOut)
	})

	t.Run("no database yet", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv(config.EnvDataDir, dir)
		t.Setenv(config.EnvConfig, "")
		code, out, _ := runOutboxT()
		if code != 0 || !strings.Contains(out, "no outbox yet") {
			t.Fatalf("exit %d: %s", code, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "kiosk.db")); !os.IsNotExist(err) {
			t.Fatal("looking created a database")
		}
	})

	t.Run("wrong key", func(t *testing.T) {
		dir := outboxEnv(t)
		kp := filepath.Join(dir, "outbox.key")
		os.Remove(kp)
		if _, err := outbox.LoadOrCreateKey(kp, true); err != nil { // a different key
			t.Fatal(err)
		}
		code, _, errOut := runOutboxT()
		if code != 1 || !strings.Contains(errOut, "key does not match") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		oneLine(t, errOut)
	})

	t.Run("key readable by others", func(t *testing.T) {
		dir := outboxEnv(t)
		os.Chmod(filepath.Join(dir, "outbox.key"), 0o644)
		code, _, errOut := runOutboxT("list")
		if code != 2 || !strings.Contains(errOut, "0644") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		oneLine(t, errOut)
	})

	t.Run("missing key outside demo", func(t *testing.T) {
		dir := outboxEnv(t)
		os.Remove(filepath.Join(dir, "outbox.key"))
		cfg := filepath.Join(t.TempDir(), "kiosk.toml")
		os.WriteFile(cfg, []byte(`data_dir = "`+dir+`"
[provider]
url = "https://provider.example"
api_key = "k"
[nca]
tsa_url = "http://tsp.example"
roots = "nca-roots.pem"
[sync]
headoffice_url = "https://ho.example"
ca_cert = "ca.pem"
client_cert = "c.pem"
client_key = "c.key"
`), 0o600)
		code, _, errOut := runOutboxT("--config", cfg)
		if code != 2 || !strings.Contains(errOut, "missing") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		oneLine(t, errOut)
		if _, err := os.Stat(filepath.Join(dir, "outbox.key")); !os.IsNotExist(err) {
			t.Fatal("a production kiosk made itself a new key")
		}
	})

	t.Run("corrupt database", func(t *testing.T) {
		dir := outboxEnv(t)
		p := filepath.Join(dir, "kiosk.db")
		junk := make([]byte, 8192)
		copy(junk, "this is not an SQLite file at all")
		os.WriteFile(p, junk, 0o600)
		code, _, errOut := runOutboxT()
		if code != 1 || !strings.Contains(errOut, "damaged") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		oneLine(t, errOut)
		if b, _ := os.ReadFile(p); !bytes.Equal(b, junk) {
			t.Fatal("the damaged file was changed")
		}
	})
}

// A failed session's record is listed with its kind and counted apart in
// the status; dead ones are requeued with the packages.
func TestOutboxCommandShowsFailedSessions(t *testing.T) {
	dir := outboxEnv(t)
	ob, db := openTestOutbox(t, dir)
	const id = "5d0c3f8e-0a51-4c3e-9a57-3b1c2d4e5f60"
	if err := ob.EnqueueFailedSession(context.Background(), id, []byte(`{"format":"signkiosk-failed-session/1"}`)); err != nil {
		t.Fatal(err)
	}
	if err := ob.MarkFailed(context.Background(), id, "rejected by head office: HTTP 422 invalid_record", time.Time{}, true); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, errOut := runOutboxT()
	if code != 0 || statusField(out, "dead:") != "2" || !strings.HasPrefix(statusField(out, "failed sessions:"), "1  (of the above: 0 pending, 0 delivered, 1 dead)") {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runOutboxT("list")
	if code != 0 || !strings.Contains(out, "KIND") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, id) && (!strings.Contains(l, "failed_session") || !strings.Contains(l, "invalid_record")) {
			t.Errorf("the record's line: %q", l)
		}
		if strings.HasPrefix(l, "pkg-") && !strings.Contains(l, " package ") {
			t.Errorf("a package's line: %q", l)
		}
	}
	if code, out, _ = runOutboxT("requeue"); code != 0 || !strings.Contains(out, "requeued 2 dead") {
		t.Fatalf("requeue: exit %d\n%s", code, out)
	}
}
