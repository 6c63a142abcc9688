package packtest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"testing"

	"almatel.kz/signkiosk/app/pack"
)

// Forgery is what someone without the kiosk's device key can do to a
// package: edit its files, recompute the manifest for them (and edit that),
// and sign the manifest with whatever key they hold.
type Forgery struct {
	// Edit maps a file's name to its new content, made from the old.
	Edit map[string]func([]byte) []byte
	// Manifest edits the manifest after its digests are recomputed.
	Manifest func(*pack.Manifest)
	// Sign makes manifest.json.sig for the new manifest.json; nil keeps
	// the old signature.
	Sign func(manifest []byte) []byte
	// Keep keeps the old manifest.json as it was (Edit and Manifest then
	// change only the files).
	Keep bool
}

// Forge applies f to the package z and writes the ZIP as Build would.
func Forge(t testing.TB, z []byte, f Forgery) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	files := map[string][]byte{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, zf.Name)
		files[zf.Name] = b
	}
	for name, edit := range f.Edit {
		files[name] = edit(bytes.Clone(files[name]))
	}
	if !f.Keep {
		var m pack.Manifest
		if err := json.Unmarshal(files[pack.NameManifest], &m); err != nil {
			t.Fatal(err)
		}
		m.Files = map[string]pack.FileDigest{}
		for name, b := range files {
			if name == pack.NameManifest || name == pack.NameManifestSig {
				continue
			}
			sum := sha256.Sum256(b)
			m.Files[name] = pack.FileDigest{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b))}
		}
		if f.Manifest != nil {
			f.Manifest(&m)
		}
		mJSON, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		files[pack.NameManifest] = mJSON
	}
	if f.Sign != nil {
		files[pack.NameManifestSig] = f.Sign(files[pack.NameManifest])
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.DefaultCompression)
	})
	for _, name := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// EditEvidence edits evidence.json's fields as an attacker would, keeping
// it valid JSON.
func EditEvidence(t testing.TB, edit func(map[string]any)) func([]byte) []byte {
	return func(b []byte) []byte {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		out, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// FailBiometrics turns the evidence's biometric decisions into "fail": the
// alteration the issue names (pass → fail).
func FailBiometrics(m map[string]any) {
	bs, _ := m["biometrics"].([]any)
	for _, b := range bs {
		if d, ok := b.(map[string]any); ok {
			d["decision"] = "fail"
		}
	}
}

// Refile is z as kiosk k would have packed it under package id: the same
// files, the manifest naming id and signed by k. The other entries'
// compressed bytes are copied as they are, so making many is cheap (tests
// that deliver one session under many ids).
func Refile(t testing.TB, z []byte, k Kiosk, id string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	var mJSON []byte
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.DefaultCompression)
	})
	for _, f := range zr.File {
		var data []byte
		switch f.Name {
		case pack.NameManifest:
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			var m pack.Manifest
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			m.PackageID = id
			if mJSON, err = json.MarshalIndent(m, "", "  "); err != nil {
				t.Fatal(err)
			}
			data = mJSON
		case pack.NameManifestSig:
			data = ed25519.Sign(k.Key, mJSON) // the manifest comes first
		default:
			if err := zw.Copy(f); err != nil {
				t.Fatal(err)
			}
			continue
		}
		h := f.FileHeader
		// CreateHeader writes the extended time field again from Modified.
		h.CompressedSize64, h.UncompressedSize64, h.CRC32, h.Extra = 0, 0, 0, nil
		w, err := zw.CreateHeader(&h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
