package card

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestQRCodesCarryTheCMS reads the QR pages back the way a phone would:
// rendered to pixels, decoded by zbar, joined and unpacked.
func TestQRCodesCarryTheCMS(t *testing.T) {
	in := demoInput(t, "ru")
	in.QR = true
	s := in.Signatures[0]
	path := writeCard(t, build(t, in))
	n := pageCount(t, path)
	sigPage := n
	for sigPage > 0 && !strings.Contains(pageText(t, path, sigPage), "Подпись № 1 Подписавший") {
		sigPage--
	}
	if sigPage == 0 || sigPage == n {
		t.Fatalf("no QR pages after the signature page (%d of %d)", sigPage, n)
	}
	prefix := t.TempDir() + "/qr"
	run(t, "pdftoppm", "-r", "150", "-png", "-f", strconv.Itoa(sigPage+1), "-l", strconv.Itoa(n), path, prefix)
	pngs, err := filepathGlob(prefix + "*.png")
	if err != nil || len(pngs) == 0 {
		t.Fatalf("no renders: %v", err)
	}
	out := run(t, "zbarimg", append([]string{"--raw", "-q"}, pngs...)...)
	var chunks []qrChunk
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var c qrChunk
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("not the chunk JSON: %q: %v", line, err)
		}
		if len(line) > qrCapacity {
			t.Fatalf("chunk of %d bytes", len(line))
		}
		chunks = append(chunks, c)
	}
	slices.SortFunc(chunks, func(a, b qrChunk) int { return a.Index - b.Index })
	var data strings.Builder
	for i, c := range chunks {
		if c.SignID != 1 || c.Total != len(chunks) || c.Index != i+1 {
			t.Fatalf("chunk %d: %+v", i, c)
		}
		data.WriteString(c.Data)
	}
	if len(chunks) < 2 {
		t.Fatalf("%d chunks for %d bytes of CMS", len(chunks), len(s.CMS))
	}
	zb, err := base64.StdEncoding.DecodeString(data.String())
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "1.cms" || zr.File[0].Method != zip.Deflate {
		t.Fatalf("zip holds %+v", zr.File)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, s.CMS) {
		t.Fatal("the QR codes do not give back the CMS")
	}
	// Version 25 is 117 modules; with the quiet zone 125, at 4 px each.
	images := run(t, "pdfimages", "-list", path)
	rows := regexp.MustCompile(`(?m)^\s*\d+\s+\d+\s+image\s+(\d+)\s+(\d+)`).FindAllStringSubmatch(images, -1)
	if len(rows) != len(chunks) {
		t.Fatalf("%d images for %d chunks", len(rows), len(chunks))
	}
	for _, r := range rows {
		if r[1] != "500" || r[2] != "500" {
			t.Errorf("QR image %sx%s px, want 500x500 (125 modules × 4 px)", r[1], r[2])
		}
	}
}

func TestQRTextsSplitAtCapacity(t *testing.T) {
	// Noise does not compress: 9000 bytes need about 12 codes.
	cms := make([]byte, 9000)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(cms)
	texts, err := qrTexts(3, cms, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(texts) < 10 {
		t.Fatalf("%d texts", len(texts))
	}
	for i, s := range texts {
		if len(s) > qrCapacity {
			t.Fatalf("text %d: %d bytes", i, len(s))
		}
		if !strings.HasPrefix(s, `{"signId":3,"total":`+strconv.Itoa(len(texts))+`,"index":`+strconv.Itoa(i+1)+`,`) {
			t.Fatalf("text %d: %.60s", i, s)
		}
	}
	again, _ := qrTexts(3, cms, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if !slices.Equal(texts, again) {
		t.Fatal("not deterministic")
	}
}

func filepathGlob(p string) ([]string, error) {
	m, err := filepath.Glob(p)
	slices.Sort(m)
	return m, err
}
