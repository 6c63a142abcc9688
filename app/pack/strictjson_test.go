package pack_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/pack/packtest"
)

// resign rewrites the manifest of es for its current contents, with edit
// applied to the manifest's JSON, and signs it with key: a package the
// kiosk could have written, as far as its signatures go.
func resign(t *testing.T, es []entry, key ed25519.PrivateKey, edit func([]byte) []byte) []entry {
	t.Helper()
	var m pack.Manifest // the ids as they were
	for _, e := range es {
		if e.name == pack.NameManifest {
			if err := json.Unmarshal(e.data, &m); err != nil {
				t.Fatal(err)
			}
		}
	}
	m.Files = map[string]pack.FileDigest{}
	for _, e := range es {
		if e.name != pack.NameManifest && e.name != pack.NameManifestSig {
			d := sha256.Sum256(e.data)
			m.Files[e.name] = pack.FileDigest{SHA256: hex.EncodeToString(d[:]), Size: int64(len(e.data))}
		}
	}
	mJSON, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		mJSON = edit(mJSON)
	}
	out := make([]entry, len(es))
	for i, e := range es {
		switch e.name {
		case pack.NameManifest:
			e.data = mJSON
		case pack.NameManifestSig:
			e.data = ed25519.Sign(key, mJSON)
		}
		out[i] = e
	}
	return out
}

// insertAfter puts extra after the first at in b, failing if at is absent.
func insertAfter(t *testing.T, b []byte, at, extra string) []byte {
	t.Helper()
	i := bytes.Index(b, []byte(at))
	if i < 0 {
		t.Fatalf("%q not in %s", at, b)
	}
	i += len(at)
	return bytes.Join([][]byte{b[:i], []byte(extra), b[i:]}, nil)
}

func TestVerifyStrictJSON(t *testing.T) {
	env := packtest.NewEnv(t)
	s := env.Sign(t, "900101300123", []byte("%PDF-1.7 application"))
	const otherIIN = "850615400456"
	good := env.Build(t, packtest.Files(t, s))
	opts := pack.VerifyOptions{DevicePub: env.DevicePub()}
	if _, probs := pack.Verify(rezip(t, resign(t, entries(t, good), env.Key, nil)), opts); len(probs) != 0 {
		t.Fatalf("re-signed package: %q", probs)
	}
	withEvidence := func(ev []byte) []byte {
		es := entries(t, good)
		for i := range es {
			if es[i].name == pack.NameEvidence {
				es[i].data = ev
			}
		}
		return rezip(t, resign(t, es, env.Key, nil))
	}
	evidence := packtest.Evidence(t, s, nil)
	wrongPDF := `"application.pdf": {"sha256": "` + strings.Repeat("00", 32) + `", "size": 1},`

	for _, tc := range []struct {
		name string
		pkg  []byte
		want string
	}{
		// Signed by the device, so only the duplicate is wrong: the last
		// application.pdf digest, the right one, used to win.
		{"manifest lists a file twice", rezip(t, resign(t, entries(t, good), env.Key, func(b []byte) []byte {
			return insertAfter(t, b, `"files": {`, wrongPDF)
		})), `manifest.json: duplicate key "application.pdf"`},
		{"manifest version twice", rezip(t, resign(t, entries(t, good), env.Key, func(b []byte) []byte {
			return insertAfter(t, b, `{`, `"version": 1,`)
		})), `manifest.json: duplicate key "version"`},
		// The first subject_iin is someone else's.
		{"evidence names the subject twice", withEvidence(insertAfter(t, evidence, `{`, `"subject_iin": "`+otherIIN+`",`)),
			`evidence.json: duplicate key "subject_iin"`},
		{"evidence key in another case", withEvidence(insertAfter(t, evidence, `{`, `"Order_ID": "ORD-2026-000999",`)),
			`evidence.json: duplicate key "order_id"`},
		// A value that fails to decode is not quoted back.
		{"evidence time holds an IIN", withEvidence(bytes.Replace(evidence, []byte(`"2026-03-01T10:00:00Z"`), []byte(`"`+otherIIN+`"`), 1)),
			`evidence.json: not valid JSON`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := pack.Verify(tc.pkg, opts)
			if !hasProblem(probs, tc.want) {
				t.Errorf("no problem %q in %q", tc.want, probs)
			}
			for _, p := range probs {
				if strings.Contains(string(p), s.IIN) || strings.Contains(string(p), otherIIN) {
					t.Errorf("problem shows an IIN: %q", p)
				}
			}
		})
	}

	t.Run("manifest listing 100000 files", func(t *testing.T) {
		z := rezip(t, resign(t, entries(t, good), env.Key, func(b []byte) []byte {
			var extra strings.Builder
			for i := range 100_000 {
				fmt.Fprintf(&extra, `"x%d": {"sha256": "", "size": 0},`, i)
			}
			return insertAfter(t, b, `"files": {`, extra.String())
		}))
		_, probs := pack.Verify(z, opts)
		if len(probs) != 1 || !hasProblem(probs, "manifest.json: lists 100007 files; a package holds at most 64") {
			t.Fatalf("%d problems, first %q", len(probs), probs[:min(len(probs), 3)])
		}
	})

	t.Run("build refuses duplicate evidence keys", func(t *testing.T) {
		f := packtest.Files(t, s)
		f.DeviceCert = env.Kiosk.CertPEM
		f.Evidence = insertAfter(t, evidence, `{`, `"signed_at": "2020-01-01T00:00:00Z",`)
		if _, err := pack.Build(f, env.Key); err == nil || !strings.Contains(err.Error(), `duplicate key "signed_at"`) {
			t.Fatalf("Build = %v", err)
		}
	})
}
