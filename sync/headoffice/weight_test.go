package headoffice

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"testing"
)

func zipOf(t *testing.T, entries int, each []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := range entries {
		h := &zip.FileHeader{Name: fmt.Sprintf("f%05d", i), Method: zip.Deflate}
		if len(each) == 0 {
			h.Method = zip.Store // a deflate writer each is slow
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(each)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWeight(t *testing.T) {
	p := buildPackages(t)
	s := &Server{cfg: Config{MaxSize: 1 << 20}}
	u, err := unpackedSize(bytes.NewReader(p.good), int64(len(p.good)))
	if err != nil || !u.ok || u.entries < 6 || u.total < uint64(len(p.good))/2 {
		t.Errorf("a package: %+v %v", u, err)
	}
	// A small package weighs the least.
	small := zipOf(t, 9, make([]byte, 1<<10))
	us, err := unpackedSize(bytes.NewReader(small), int64(len(small)))
	if err != nil || !us.ok {
		t.Fatalf("small: %+v %v", us, err)
	}
	if w := s.weight(int64(len(small)), us); w != minWeight {
		t.Errorf("a small package weighs %d, want the least, %d", w, minWeight)
	}

	// Deflated zeros: a small body that unpacks large.
	bomb := zipOf(t, 2, make([]byte, 600<<10))
	u, err = unpackedSize(bytes.NewReader(bomb), int64(len(bomb)))
	if err != nil || !u.ok || u.total != 1200<<10 || u.entries != 2 {
		t.Fatalf("bomb: %+v %v", u, err)
	}
	// Unpacking is charged at most MaxSize, all pack.Verify unpacks.
	if w, want := s.weight(int64(len(bomb)), u), int64(len(bomb))+3<<20+2<<10; w != want {
		t.Errorf("bomb weighs %d, want %d", w, want)
	}

	junk := bytes.Repeat([]byte("not a zip "), 100<<10)
	u, err = unpackedSize(bytes.NewReader(junk), int64(len(junk)))
	if err != nil || u.ok {
		t.Errorf("junk: %+v %v", u, err)
	}
	if w, want := s.weight(int64(len(junk)), u), int64(len(junk))+3<<20; w != want {
		t.Errorf("junk weighs %d, want %d (charged in full)", w, want)
	}

	many := zipOf(t, 4000, nil)
	if _, err := unpackedSize(bytes.NewReader(many), int64(len(many))); err != errDirectoryTooLarge {
		t.Errorf("4000 entries: %v", err)
	}
	if w := maxWeight(1 << 20); w < 4<<20+maxEntries*entryWeight {
		t.Errorf("maxWeight %d", w)
	}
}

// A ZIP whose directory no package has is refused before it is parsed in
// full or admitted.
func TestPutHugeDirectory(t *testing.T) {
	f := newFixture(t, options{})
	many := zipOf(t, 4000, nil)
	code, eb := f.put(packageID, many, ContentDigest(many))
	if code != http.StatusUnprocessableEntity || eb.Error != CodeInvalidPackage || len(eb.Problems) != 1 {
		t.Errorf("%d %+v", code, eb)
	}
	f.assertNothingStored(packageID)
	if _, peak, _ := f.srv.mem.state(); peak != 0 {
		t.Errorf("%d bytes admitted", peak)
	}
}
