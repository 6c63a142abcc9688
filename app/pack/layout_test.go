package pack_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"runtime"
	"testing"

	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/pack/packtest"
)

// copyRaw writes every entry of z again, stored exactly as it was, with
// junk after the entry named after (as if it were part of no entry), a
// prefix the offsets account for, and a comment. The contents stay signed.
func copyRaw(t *testing.T, z []byte, prefix []byte, after string, junk []byte, comment string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.Write(prefix)
	zw := zip.NewWriter(&buf)
	zw.SetOffset(int64(len(prefix)))
	for _, f := range zr.File {
		fh := f.FileHeader
		fh.Flags &^= 0x8 // sizes in the local header, so the junk is not read as a descriptor
		w, err := zw.CreateRaw(&fh)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := f.OpenRaw()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, rc); err != nil {
			t.Fatal(err)
		}
		if f.Name == after {
			if _, err := w.Write(junk); err != nil {
				t.Fatal(err)
			}
		}
	}
	if comment != "" {
		if err := zw.SetComment(comment); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// manyEntries is a ZIP of n empty stored files.
func manyEntries(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range n {
		if _, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("f%d", i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestVerifyLayout(t *testing.T) {
	env := packtest.NewEnv(t)
	good := env.Build(t, packtest.Files(t, env.Sign(t, "900101300123", []byte("%PDF-1.7 application"))))
	opts := pack.VerifyOptions{DevicePub: env.DevicePub()}
	junk := bytes.Repeat([]byte("junk"), 1280) // 5 KiB
	concat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

	// The raw copy itself is a clean package, so each case below differs
	// from a valid one by its layout only.
	if _, probs := pack.Verify(copyRaw(t, good, nil, "", nil, ""), opts); len(probs) != 0 {
		t.Fatalf("raw copy: %q", probs)
	}
	renamed := bytes.Clone(good)
	renamed[30] = 'A' // the first local header's name: "Application.pdf"; the directory still says "application.pdf"

	for _, tc := range []struct {
		name string
		pkg  []byte
		want string
	}{
		{"junk before", concat(junk, good), "5120 bytes of data before the archive"},
		{"junk before, offsets adjusted", copyRaw(t, good, junk, "", nil, ""), "data before the archive's first entry"},
		{"junk after", concat(good, junk), "5120 bytes of data after the archive"},
		{"one byte after", concat(good, []byte{0}), "1 bytes of data after the archive"},
		{"comment", copyRaw(t, good, nil, "", nil, "hello"), "package has a 5-byte ZIP comment; packages have none"},
		{"hidden between entries", copyRaw(t, good, nil, pack.NamePDF, junk, ""), `data hidden before entry "application.pdf.cms"`},
		{"hidden before the directory", copyRaw(t, good, nil, pack.NameManifestSig, junk, ""),
			"5120 bytes of data hidden before the central directory"},
		{"local name differs", renamed, `entry "application.pdf": its local header names it differently`},
		{"65 entries", rezip(t, append(entries(t, good), manyFiles(56)...)), "package has 65 entries; a package holds at most 64"},
		{"empty", nil, "package is not a readable ZIP (truncated or corrupt): no end of central directory record"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := pack.Verify(tc.pkg, opts)
			// One line says what is wrong with the archive; its contents
			// are not judged (nor listed entry by entry).
			if len(probs) != 1 || string(probs[0]) != tc.want {
				t.Fatalf("problems %q, want just %q", probs, tc.want)
			}
		})
	}

	t.Run("64 entries are read", func(t *testing.T) {
		_, probs := pack.Verify(rezip(t, append(entries(t, good), manyFiles(55)...)), opts)
		if len(probs) != 55 || !hasProblem(probs, `extra file "extra54"`) {
			t.Fatalf("%d problems: %q", len(probs), probs)
		}
	})
}

func manyFiles(n int) []entry {
	out := make([]entry, n)
	for i := range out {
		out[i] = entry{fmt.Sprintf("extra%d", i), []byte("x")}
	}
	return out
}

// A ZIP of many entries is refused from its end record, in one line,
// before archive/zip parses the directory: 200,000 entries used to cost
// 93 MB and 200,007 problem lines.
func TestVerifyManyEntries(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{1000, "package has 1000 entries; a package holds at most 64"},
		// Over 65535 entries takes ZIP64.
		{200_000, "package is a ZIP64 archive: far more entries or bytes than a package holds"},
	} {
		z := manyEntries(t, tc.n)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, probs := pack.Verify(z, pack.VerifyOptions{})
		runtime.ReadMemStats(&after)
		if len(probs) != 1 || string(probs[0]) != tc.want {
			t.Errorf("%d entries: %d problems, want just %q; first: %q", tc.n, len(probs), tc.want, probs[:min(len(probs), 3)])
		}
		// Generous: Verify refuses from the last 22 bytes; a parsed
		// directory of even 1000 entries takes 440 KB.
		const limit = 64 << 10
		if got := after.TotalAlloc - before.TotalAlloc; got > limit {
			t.Errorf("%d entries: Verify allocated %d bytes (limit %d)", tc.n, got, limit)
		}
	}
}
