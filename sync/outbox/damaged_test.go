package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/sync/outbox"
)

// A payload whose bytes were damaged on disk (one flipped bit inside its
// blob: SQLite's own checks pass) is "payload damaged", naming the package
// — not a key problem: the key opened the key check when the outbox opened.
// The other packages still read.
func TestPayloadDamagedNotKey(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "kiosk.db")
	key := testKey(t)
	db, err := store.Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	o, err := outbox.Open(ctx, db, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	good, bad := pkg(t, 1), pkg(t, 2)
	for _, k := range []outbox.Package{good, bad} {
		if err := o.Enqueue(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	var sealed []byte
	if err := db.QueryRow(`SELECT payload FROM outbox_payloads WHERE id = ?`, bad.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	db.Close() // checkpoints the WAL into the main file

	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(b, sealed[:32])
	if at < 0 || bytes.Count(b, sealed[:32]) != 1 {
		t.Fatal("the sealed payload is not in the file once, whole")
	}
	b[at+len(sealed)/2] ^= 0x01
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}

	db, err = store.Open(ctx, p) // quick_check does not read blob contents
	if err != nil {
		t.Fatalf("a flipped bit in a blob made the database unopenable: %v", err)
	}
	defer db.Close()
	o, err = outbox.Open(ctx, db, key, nil)
	if err != nil {
		t.Fatalf("the right key is refused: %v", err)
	}
	_, err = o.Payload(ctx, bad.ID)
	if !errors.Is(err, outbox.ErrPayloadDamaged) || errors.Is(err, outbox.ErrKey) {
		t.Fatalf("damaged payload: %v, want ErrPayloadDamaged and not ErrKey", err)
	}
	if !strings.Contains(err.Error(), bad.ID) || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("message %q should name the package and say damaged", err)
	}
	if got, err := o.Payload(ctx, good.ID); err != nil || !bytes.Equal(got, good.Zip) {
		t.Fatalf("the intact package: %v", err)
	}
}
