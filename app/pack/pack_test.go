package pack_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/x509"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/cades"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/pack/packtest"
)

// entry is one file to write into a hand-made ZIP.
type entry struct {
	name string
	data []byte
}

// entries reads every file of a package.
func entries(t *testing.T, z []byte) []entry {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	var out []entry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, entry{f.Name, b})
	}
	return out
}

// rezip writes entries as a ZIP, as an attacker would, without re-signing.
func rezip(t *testing.T, es []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range es {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// edit returns the package with one file's content replaced.
func edit(t *testing.T, z []byte, name string, f func([]byte) []byte) []byte {
	t.Helper()
	es := entries(t, z)
	for i := range es {
		if es[i].name == name {
			es[i].data = f(bytes.Clone(es[i].data))
		}
	}
	return rezip(t, es)
}

func without(t *testing.T, z []byte, name string) []byte {
	t.Helper()
	var out []entry
	for _, e := range entries(t, z) {
		if e.name != name {
			out = append(out, e)
		}
	}
	return rezip(t, out)
}

// zipBomb replaces application.pdf with 100 MB of zeros, streamed so the
// test never holds them; they compress to about 100 KB.
func zipBomb(t *testing.T, z []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	zeros := make([]byte, 1<<20)
	for _, e := range entries(t, z) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if e.name != pack.NamePDF {
			if _, err := w.Write(e.data); err != nil {
				t.Fatal(err)
			}
			continue
		}
		for range 100 {
			if _, err := w.Write(zeros); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fileOf is one file of a package.
func fileOf(t *testing.T, z []byte, name string) []byte {
	t.Helper()
	b, err := pack.File(z, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hasProblem(probs []pack.Problem, want string) bool {
	for _, p := range probs {
		if strings.Contains(string(p), want) {
			return true
		}
	}
	return false
}

func TestPackage(t *testing.T) {
	env := packtest.NewEnv(t)
	pdf := []byte("%PDF-1.7 the application for joining the public contract")
	s := env.Sign(t, "900101300123", pdf)
	other := env.Sign(t, "850615400456", pdf)
	good := env.Build(t, packtest.Files(t, s))
	opts := pack.VerifyOptions{DevicePub: env.DevicePub(), Roots: env.Roots(), Trust: "test roots"}

	t.Run("good", func(t *testing.T) {
		sum, probs := pack.Verify(good, opts)
		if len(probs) != 0 {
			t.Fatalf("problems: %q", probs)
		}
		if sum.Files != 9 || sum.SignerCN != "СӘРСЕНБАЕВ НҰРЛАН" || sum.SignerSerial == "" ||
			!sum.SignedAt.Equal(s.GenTime) || sum.OrderID != "ORD-2026-000123" || sum.ManifestSigned != "verified" ||
			sum.Trust != "test roots" || sum.Indication(probs) != cades.TotalPassed ||
			sum.PackageID != packtest.PackageID || sum.TicketID != "T-1" || sum.Kiosk != packtest.KioskID {
			t.Errorf("summary: %+v", sum)
		}
		if got := entries(t, good); len(got) != 9 {
			t.Errorf("%d entries", len(got))
		}
		r := sum.Report(probs)
		if !r.Passed() || r.Package.Files != 9 || len(r.Package.Problems) != 0 || r.Package.Device == nil ||
			r.Package.Device.CommonName != packtest.KioskID || len(r.Package.Checks) != 8 {
			t.Errorf("report: %+v", r)
		}
		for _, c := range r.Package.Checks {
			if c.Status != cades.Passed || c.Reason == "" {
				t.Errorf("check %+v", c)
			}
		}
		// The manifest names the package, its ticket and its order.
		var m pack.Manifest
		if err := json.Unmarshal(fileOf(t, good, pack.NameManifest), &m); err != nil || m.Version != 3 ||
			m.PackageID != packtest.PackageID || m.TicketID != "T-1" || m.OrderID != "ORD-2026-000123" ||
			m.Files[pack.NameDevice].SHA256 == "" {
			t.Errorf("manifest %+v %v", m, err)
		}
	})

	t.Run("deterministic", func(t *testing.T) {
		if again := env.Build(t, packtest.Files(t, s)); !bytes.Equal(again, good) {
			t.Fatal("same inputs gave different ZIPs")
		}
	})

	t.Run("no roots, no device key", func(t *testing.T) {
		// Nothing trusted by default: no problem with the package, but the
		// signature is INDETERMINATE, and the package's own chain.pem is
		// not taken for a root.
		sum, probs := pack.Verify(good, pack.VerifyOptions{})
		if len(probs) != 0 || sum.Indication(probs) != cades.Indeterminate || !strings.HasPrefix(sum.ManifestSigned, "verified with the key device.pem certifies") {
			t.Fatalf("%+v %q", sum, probs)
		}
		if r := sum.Report(probs); !strings.Contains(r.Reason, "no trusted roots") {
			t.Fatalf("reason %q", r.Reason)
		}
		// The kiosk part alone undecided: INDETERMINATE with its reason.
		sum, probs = pack.Verify(good, pack.VerifyOptions{Roots: env.NationalRoots(), DeviceRoots: x509.NewCertPool()})
		if r := sum.Report(probs); !hasProblem(probs, "device.pem: does not chain to a trusted kiosk CA") || r.Indication != cades.TotalFailed {
			t.Fatalf("empty kiosk roots: %q %s", probs, r.Reason)
		}
		// Roots that did not issue the certificate are refused.
		foreign := packtest.NewEnv(t)
		sum, probs = pack.Verify(good, pack.VerifyOptions{Roots: foreign.Roots()})
		if !hasProblem(probs, "application.pdf.cms: timestamp_tsa_chain: ") || sum.Indication(probs) != cades.TotalFailed {
			t.Fatalf("foreign roots: %q", probs)
		}
	})

	t.Run("short signature", func(t *testing.T) {
		f := packtest.Files(t, s)
		f.CMS = s.BES
		_, probs := pack.Verify(env.Build(t, f), opts)
		if !hasProblem(probs, "application.pdf.cms: timestamp_present: no signature time stamp") {
			t.Fatalf("CAdES-BES accepted: %q", probs)
		}
	})

	t.Run("evidence time stamp", func(t *testing.T) {
		f := packtest.Files(t, s)
		f.Evidence = packtest.Evidence(t, s, func(m map[string]any) { m["time_stamped_at"] = packtest.Now().Add(time.Hour) })
		_, probs := pack.Verify(env.Build(t, f), opts)
		if !hasProblem(probs, "evidence.json: time_stamped_at is not the time stamp's genTime") {
			t.Fatalf("%q", probs)
		}
	})

	flip := func(b []byte) []byte { b[len(b)/2] ^= 1; return b }
	for _, tc := range []struct {
		name string
		pkg  func() []byte
		opts pack.VerifyOptions
		want []string
	}{
		{"tampered pdf", func() []byte { return edit(t, good, pack.NamePDF, flip) }, opts, []string{
			"application.pdf: SHA-256 does not match the manifest",
			"application.pdf.cms: document_digest: ",
			"evidence.json: document_sha256 does not match application.pdf"}},
		{"tampered cms", func() []byte {
			// The last bytes are the time-stamp token's signature value (the
			// unsigned attributes are in DER order, the token's sorts last).
			return edit(t, good, pack.NameCMS, func(b []byte) []byte { b[len(b)-1] ^= 1; return b })
		}, opts, []string{
			"application.pdf.cms: SHA-256 does not match the manifest", "application.pdf.cms: timestamp_signature: "}},
		{"tampered chain", func() []byte {
			return edit(t, good, pack.NameChain, func(b []byte) []byte { return append(b, '\n') })
		}, opts, []string{"chain.pem: size"}},
		{"tampered evidence", func() []byte {
			return edit(t, good, pack.NameEvidence, func(b []byte) []byte {
				return bytes.Replace(b, []byte("ORD-2026-000123"), []byte("ORD-2026-000999"), 1)
			})
		}, opts, []string{"evidence.json: SHA-256 does not match the manifest"}},
		{"tampered manifest", func() []byte {
			return edit(t, good, pack.NameManifest, func(b []byte) []byte { return append(b, ' ') })
		}, opts, []string{"manifest.json.sig: signature does not verify with the device key"}},
		{"tampered signature", func() []byte { return edit(t, good, pack.NameManifestSig, flip) }, opts,
			[]string{"manifest.json.sig: signature does not verify with the device key"}},
		{"truncated", func() []byte { return good[:len(good)*2/3] }, opts,
			[]string{"package is not a readable ZIP (truncated or corrupt)"}},
		{"swapped signer", func() []byte {
			f := packtest.Files(t, s)
			f.SignerPEM = other.Cert
			return env.Build(t, f)
		}, opts, []string{"signer.pem is not the certificate that signed the CMS"}},
		{"evidence for another subscriber", func() []byte {
			f := packtest.Files(t, s)
			f.Evidence = packtest.Evidence(t, s, func(m map[string]any) { m["subject_iin"] = other.IIN })
			return env.Build(t, f)
		}, opts, []string{"evidence.json: subject_iin does not match the signer certificate"}},
		{"evidence for another document", func() []byte {
			f := packtest.Files(t, s)
			f.Evidence = packtest.Evidence(t, s, func(m map[string]any) { m["document_sha256"] = strings.Repeat("ab", 32) })
			return env.Build(t, f)
		}, opts, []string{"evidence.json: document_sha256 does not match application.pdf"}},
		{"extra file", func() []byte { return rezip(t, append(entries(t, good), entry{"x.txt", []byte("hi")})) }, opts,
			[]string{`extra file "x.txt"`}},
		{"path traversal", func() []byte { return rezip(t, append(entries(t, good), entry{"../evil", []byte("hi")})) }, opts,
			[]string{`entry "../evil" escapes the package`}},
		{"absolute path", func() []byte { return rezip(t, append(entries(t, good), entry{"/etc/cron.d/x", nil})) }, opts,
			[]string{`entry "/etc/cron.d/x" escapes the package`}},
		{"backslash", func() []byte { return rezip(t, append(entries(t, good), entry{`..\evil`, nil})) }, opts,
			[]string{`entry "..\\evil" escapes the package`}},
		{"duplicate", func() []byte {
			return rezip(t, append(entries(t, good), entry{pack.NamePDF, []byte("other")}))
		}, opts, []string{`duplicate entry "application.pdf"`}},
		{"missing file", func() []byte { return without(t, good, pack.NameChain) }, opts,
			[]string{`missing file "chain.pem"`}},
		{"missing card", func() []byte { return without(t, good, pack.NameCard) }, opts,
			[]string{`missing file "card.pdf"`}},
		{"tampered card", func() []byte { return edit(t, good, pack.NameCard, flip) }, opts,
			[]string{"card.pdf: SHA-256 does not match the manifest"}},
		{"tampered device certificate", func() []byte { return edit(t, good, pack.NameDevice, func(b []byte) []byte { return append(b, '\n') }) },
			opts, []string{"device.pem: size"}},
		{"missing device certificate", func() []byte { return without(t, good, pack.NameDevice) }, opts,
			[]string{`missing file "device.pem"`}},
		{"zip bomb", func() []byte { return zipBomb(t, good) },
			pack.VerifyOptions{DevicePub: env.DevicePub(), MaxEntry: 1 << 20},
			[]string{"application.pdf: larger than the 1048576-byte limit"}},
		{"total limit", func() []byte { return good },
			pack.VerifyOptions{DevicePub: env.DevicePub(), MaxTotal: 100},
			[]string{"package exceeds the 100-byte total limit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := pack.Verify(tc.pkg(), tc.opts)
			for _, w := range tc.want {
				if !hasProblem(probs, w) {
					t.Errorf("no problem %q in %q", w, probs)
				}
			}
			for _, p := range probs {
				if strings.Contains(string(p), s.IIN) || strings.Contains(string(p), other.IIN) {
					t.Errorf("problem shows an IIN: %q", p)
				}
			}
		})
	}

	t.Run("openssl", func(t *testing.T) {
		if _, err := exec.LookPath("openssl"); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("openssl is required in CI (make deps)")
			}
			t.Skip("openssl not installed")
		}
		dir := t.TempDir()
		for _, e := range entries(t, good) {
			if err := os.WriteFile(filepath.Join(dir, e.name), e.data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "root.pem"), env.RootPEM(), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-content", pack.NamePDF,
			"-in", pack.NameCMS, "-CAfile", "root.pem", "-certfile", pack.NameChain, "-purpose", "any", "-out", os.DevNull)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl cms -verify: %v\n%s", err, out)
		}
	})
}

func TestDeviceKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k1, err := pack.LoadOrCreateDeviceKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := pack.LoadOrCreateDeviceKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !k1.Equal(k2) {
		t.Fatal("key changed on reload")
	}
	st, err := os.Stat(filepath.Join(dir, pack.DeviceKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key mode %v", st.Mode().Perm())
	}
	pubPEM, err := os.ReadFile(filepath.Join(dir, pack.DevicePubFile))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := pack.ParsePublicKeyPEM(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(k1.Public()) {
		t.Fatal("public key file does not match")
	}
	if err := os.WriteFile(filepath.Join(dir, pack.DeviceKeyFile), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := pack.LoadOrCreateDeviceKey(dir); err == nil {
		t.Fatal("a corrupt key was accepted")
	}
}
