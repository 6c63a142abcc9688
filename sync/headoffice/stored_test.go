package headoffice

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cancelAfterPut is a Storage that calls cancel once the body is durable:
// the kiosk goes away just after its package was stored.
type cancelAfterPut struct {
	*FileStorage
	cancel context.CancelFunc
}

func (c cancelAfterPut) Put(ctx context.Context, id, digest string, r io.Reader, size int64) (bool, error) {
	created, err := c.FileStorage.Put(ctx, id, digest, r, size)
	c.cancel()
	return created, err
}

// A kiosk that leaves once its body is stored still gets the index row,
// and the log says so rather than "nothing stored".
func TestKioskLeavingAfterStoreIsIndexed(t *testing.T) {
	p := buildPackages(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := newFixture(t, options{pk: &p, storage: func(fs *FileStorage) Storage { return cancelAfterPut{fs, cancel} }})
	f.serveDirect(ctx, p.good, func() {})()
	if _, ok, err := f.db.Package(context.Background(), packageID); err != nil || !ok {
		t.Errorf("stored body not indexed: %v %v", ok, err)
	}
	logs := f.logs.String()
	if strings.Contains(logs, "nothing stored") || !strings.Contains(logs, "the kiosk left before its answer") {
		t.Errorf("log does not say the package was stored:\n%s", logs)
	}
	// Its retry is answered from the row.
	if code, eb := f.put(packageID, p.good, ContentDigest(p.good)); code != http.StatusOK {
		t.Errorf("retry: %d %+v", code, eb)
	}
}

// An index fault after the body is stored: a 500 (retried), a log that
// says the body is held but not indexed, and the retry indexes it.
func TestIndexFailureAfterStore(t *testing.T) {
	p := buildPackages(t)
	f := newFixture(t, options{pk: &p})
	if _, err := f.db.DB().Exec(`CREATE TRIGGER fail_insert BEFORE INSERT ON packages BEGIN SELECT RAISE(ABORT, 'simulated index fault'); END`); err != nil {
		t.Fatal(err)
	}
	if code, eb := f.put(packageID, p.good, ContentDigest(p.good)); code != http.StatusInternalServerError || eb.Error != CodeInternal {
		t.Fatalf("index fault: %d %+v", code, eb)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "package stored, index row not written; the kiosk's retry will index it") ||
		strings.Contains(logs, "nothing stored") || strings.Contains(logs, "package not stored") {
		t.Errorf("log does not say what happened:\n%s", logs)
	}
	if _, ok, err := f.st.Digest(context.Background(), packageID); err != nil || !ok {
		t.Errorf("body not in storage: %v %v", ok, err)
	}
	if _, err := f.db.DB().Exec(`DROP TRIGGER fail_insert`); err != nil {
		t.Fatal(err)
	}
	if code, eb := f.put(packageID, p.good, ContentDigest(p.good)); code != http.StatusCreated {
		t.Errorf("retry: %d %+v", code, eb)
	}
	if _, ok, err := f.db.Package(context.Background(), packageID); err != nil || !ok {
		t.Errorf("retry did not index: %v %v", ok, err)
	}
}

// A kiosk that leaves before its body is stored: nothing stored, and the
// log says that.
func TestKioskLeavingBeforeStore(t *testing.T) {
	p := buildPackages(t)
	f := newFixture(t, options{pk: &p, maxInFlight: 1})
	if err := f.srv.slots.acquire(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	wait := f.serveDirect(ctx, p.good, func() { waitFor(t, "the upload to wait for a slot", f.srv.slots) })
	cancel()
	if code := wait(); code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", code)
	}
	f.assertNothingStored(packageID)
	if !strings.Contains(f.logs.String(), "upload abandoned by the kiosk before it was stored; nothing stored") {
		t.Errorf("log:\n%s", f.logs.String())
	}
}

// A body that cannot be spooled (disk fault) is a 503 the kiosk retries,
// and an error for the operator.
func TestSpoolFailure(t *testing.T) {
	p := buildPackages(t)
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, options{pk: &p, spoolDir: filepath.Join(notDir, "spool")})
	if code, eb := f.put(packageID, p.good, ContentDigest(p.good)); code != http.StatusServiceUnavailable || eb.Error != CodeUnavailable {
		t.Errorf("%d %+v", code, eb)
	}
	if !strings.Contains(f.logs.String(), "cannot spool its body; nothing stored") {
		t.Errorf("log:\n%s", f.logs.String())
	}
	f.assertNothingStored(packageID)
}
