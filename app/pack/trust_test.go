package pack_test

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/cades"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/pack/packtest"
)

// checkOf is the package check id of r, or fails.
func checkOf(t *testing.T, r pack.Report, id string) cades.Check {
	t.Helper()
	for _, c := range r.Package.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %s in %+v", id, r.Package.Checks)
	return cades.Check{}
}

// The manifest and the kiosk that signed it: what `verify --roots` tells
// without any per-kiosk key file.
func TestPackageTrust(t *testing.T) {
	env := packtest.NewEnv(t)
	s := env.Sign(t, "900101300123", []byte("%PDF-1.7 the application"))
	files := packtest.Files(t, s)
	good := env.Build(t, files)
	withRoots := pack.VerifyOptions{Roots: env.Roots(), Trust: "test roots"}
	if r := verifyReport(good, withRoots); !r.Passed() {
		t.Fatalf("good package: %s", r.Reason)
	}
	ev := string(fileOf(t, good, pack.NameEvidence))
	if !strings.Contains(ev, `"decision": "pass"`) || !strings.Contains(ev, `"kiosk": "K-01"`) {
		t.Fatalf("evidence lacks what the forgeries change:\n%s", ev)
	}
	other := env.NewKiosk(t, "K-02")
	foreign := packtest.NewEnv(t) // another kiosk CA, another national CA

	for _, tc := range []struct {
		name      string
		pkg       func() []byte
		opts      pack.VerifyOptions
		check     string // the package check that fails
		want      string // in its reason and a problem line
		sigPassed bool   // the signature itself is untouched
	}{
		{"altered evidence, recomputed manifest (pass → fail, kiosk changed)", func() []byte {
			return packtest.Forge(t, good, packtest.Forgery{Edit: map[string]func([]byte) []byte{
				pack.NameEvidence: packtest.EditEvidence(t, func(m map[string]any) { packtest.FailBiometrics(m); m["kiosk"] = "K-02" }),
			}})
		}, withRoots, pack.CheckManifestSignature, "manifest.json.sig: signature does not verify with the device key device.pem certifies", true},
		{"altered evidence, without roots", func() []byte {
			return packtest.Forge(t, good, packtest.Forgery{Edit: map[string]func([]byte) []byte{
				pack.NameEvidence: packtest.EditEvidence(t, packtest.FailBiometrics),
			}})
		}, pack.VerifyOptions{}, pack.CheckManifestSignature, "signature does not verify", false},
		{"altered evidence signed by a key of the attacker's", func() []byte {
			_, key, _ := ed25519.GenerateKey(nil)
			return packtest.Forge(t, good, packtest.Forgery{
				Edit: map[string]func([]byte) []byte{pack.NameEvidence: packtest.EditEvidence(t, packtest.FailBiometrics)},
				Sign: func(m []byte) []byte { return ed25519.Sign(key, m) }})
		}, withRoots, pack.CheckManifestSignature, "signature does not verify", true},
		{"re-signed by a kiosk of another CA", func() []byte {
			k := foreign.Kiosk
			return packtest.Forge(t, good, packtest.Forgery{
				Edit: map[string]func([]byte) []byte{
					pack.NameEvidence: packtest.EditEvidence(t, packtest.FailBiometrics),
					pack.NameDevice:   func([]byte) []byte { return k.CertPEM }},
				Sign: func(m []byte) []byte { return ed25519.Sign(k.Key, m) }})
		}, withRoots, pack.CheckDeviceChain, "device.pem: does not chain to a trusted kiosk CA", true},
		{"a person's certificate as device certificate", func() []byte {
			// The signer's own certificate chains to the trusted national
			// root, but is no kiosk's: its key cannot even be used.
			return packtest.Forge(t, good, packtest.Forgery{Edit: map[string]func([]byte) []byte{
				pack.NameDevice: func([]byte) []byte { return []byte(s.Cert) }}})
		}, withRoots, pack.CheckDeviceCertificate, "device.pem: not a kiosk device certificate: it lacks the kiosk device policy", true},
		{"evidence names another kiosk, signed by this one", func() []byte {
			return packtest.Forge(t, good, packtest.Forgery{
				Edit: map[string]func([]byte) []byte{pack.NameEvidence: packtest.EditEvidence(t, func(m map[string]any) { m["kiosk"] = "K-02" })},
				Sign: func(m []byte) []byte { return ed25519.Sign(env.Key, m) }})
		}, withRoots, pack.CheckDeviceKiosk, "evidence.json: names kiosk K-02, but device.pem is kiosk K-01's", true},
		{"empty manifest signature", func() []byte {
			return packtest.Forge(t, good, packtest.Forgery{Keep: true, Sign: func([]byte) []byte { return nil }})
		}, withRoots, pack.CheckManifestSignature, "manifest.json.sig: empty: the manifest is not signed", true},
		{"empty manifest signature, without roots", func() []byte {
			return packtest.Forge(t, good, packtest.Forgery{Keep: true, Sign: func([]byte) []byte { return nil }})
		}, pack.VerifyOptions{}, pack.CheckManifestSignature, "manifest.json.sig: empty", false},
		{"version 2 manifest", func() []byte {
			return packtest.Forge(t, good, packtest.Forgery{Manifest: func(m *pack.Manifest) { m.Version = 2 },
				Sign: func(m []byte) []byte { return ed25519.Sign(env.Key, m) }})
		}, withRoots, pack.CheckManifestFormat, "manifest.json: version 2; only version 3 verifies", true},
		{"manifest without its ids", func() []byte {
			return packtest.Forge(t, good, packtest.Forgery{Manifest: func(m *pack.Manifest) { m.PackageID, m.TicketID, m.OrderID = "", "", "" },
				Sign: func(m []byte) []byte { return ed25519.Sign(env.Key, m) }})
		}, withRoots, pack.CheckManifestIDs, "manifest.json: package_id is missing", true},
		{"manifest names another ticket than the evidence", func() []byte {
			return packtest.Forge(t, good, packtest.Forgery{Manifest: func(m *pack.Manifest) { m.TicketID = "T-2" },
				Sign: func(m []byte) []byte { return ed25519.Sign(env.Key, m) }})
		}, withRoots, pack.CheckManifestIDs, "evidence.json: ticket_id is not the one the manifest names", true},
		{"package id not a UUID", func() []byte {
			return packtest.Forge(t, good, packtest.Forgery{Manifest: func(m *pack.Manifest) { m.PackageID = "../../etc" },
				Sign: func(m []byte) []byte { return ed25519.Sign(env.Key, m) }})
		}, withRoots, pack.CheckManifestIDs, "manifest.json: package_id is not a lowercase UUID", true},
		{"filed under another id", func() []byte { return good },
			pack.VerifyOptions{Roots: env.Roots(), PackageID: "1b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a"}, pack.CheckPackageID,
			"manifest.json: names package " + packtest.PackageID + ", not 1b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a, the id it is filed under", true},
		{"another kiosk's key given", func() []byte { return good },
			pack.VerifyOptions{Roots: env.Roots(), DevicePub: other.Pub()}, pack.CheckDeviceKey,
			"device.pem: certifies another key than the device key given", true},
		{"kiosk CA not trusted", func() []byte { return good },
			pack.VerifyOptions{Roots: env.Roots(), DeviceRoots: foreign.KioskRoots()}, pack.CheckDeviceChain,
			"device.pem: does not chain to a trusted kiosk CA", true},
		{"national roots only", func() []byte { return good },
			pack.VerifyOptions{Roots: env.NationalRoots()}, pack.CheckDeviceChain, "device.pem: does not chain to a trusted kiosk CA", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sum, probs := pack.Verify(tc.pkg(), tc.opts)
			r := sum.Report(probs)
			c := checkOf(t, r, tc.check)
			if c.Status != cades.Failed || !strings.Contains(c.Reason, tc.want) || !hasProblem(probs, tc.want) {
				t.Errorf("check %+v, problems %q; want %s FAILED with %q", c, probs, tc.check, tc.want)
			}
			if r.Indication != cades.TotalFailed || sum.Indication(probs) != cades.TotalFailed {
				t.Errorf("indication %s: %s", r.Indication, r.Reason)
			}
			if tc.sigPassed {
				if r.Report.Checks[0].Status != cades.Passed || firstFailedSig(r) != nil {
					t.Errorf("the signature's checks changed: %+v", firstFailedSig(r))
				}
				if f := r.Failing(); f == nil || f.ID != tc.check {
					t.Errorf("refusal names %+v, want %s", f, tc.check)
				}
				if !strings.HasPrefix(r.Reason, "package: ") {
					t.Errorf("reason %q", r.Reason)
				}
			}
			for _, p := range probs {
				if strings.Contains(string(p), s.IIN) {
					t.Errorf("problem shows the IIN: %q", p)
				}
			}
		})
	}

	t.Run("filed under its own id", func(t *testing.T) {
		r := verifyReport(good, pack.VerifyOptions{Roots: env.Roots(), PackageID: packtest.PackageID})
		if c := checkOf(t, r, pack.CheckPackageID); !r.Passed() || c.Status != cades.Passed {
			t.Fatalf("%+v: %s", c, r.Reason)
		}
	})

	t.Run("separate kiosk roots", func(t *testing.T) {
		// The national roots for the signature, the kiosk CA for kiosks:
		// neither vouches for the other's certificates.
		r := verifyReport(good, pack.VerifyOptions{Roots: env.NationalRoots(), DeviceRoots: env.KioskRoots()})
		if !r.Passed() {
			t.Fatalf("%s", r.Reason)
		}
		r = verifyReport(good, pack.VerifyOptions{Roots: env.KioskRoots(), DeviceRoots: env.KioskRoots()})
		if r.Passed() || r.Failing().ID != cades.CheckTSAChain {
			t.Fatalf("the kiosk CA vouched for the signature: %s", r.Reason)
		}
	})

	t.Run("no roots", func(t *testing.T) {
		r := verifyReport(good, pack.VerifyOptions{})
		c := checkOf(t, r, pack.CheckDeviceChain)
		if r.Indication != cades.Indeterminate || c.Status != cades.Undecided || c.SubIndication != "NO_CERTIFICATE_CHAIN_FOUND" ||
			!strings.Contains(c.Reason, "no trusted roots") {
			t.Fatalf("%s %+v", r.Indication, c)
		}
		// Without kiosk roots the roots given stand for kiosks too: the
		// national CA's alone make the kiosk's certificate FAILED.
		r = verifyReport(good, pack.VerifyOptions{Roots: env.NationalRoots(), DeviceRoots: nil})
		if r.Indication != cades.TotalFailed {
			t.Fatalf("national roots for both: %s", r.Reason)
		}
	})

	t.Run("the device certificate as of the signing time", func(t *testing.T) {
		// Years after the kiosk's certificate expired the package still
		// verifies: its certificate was valid when it was signed.
		r := verifyReport(good, pack.VerifyOptions{Roots: env.Roots(), At: time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)})
		if !r.Passed() || !strings.Contains(checkOf(t, r, pack.CheckDeviceChain).Reason, "2026-03-01T10:00:00Z") {
			t.Fatalf("%s", r.Reason)
		}
	})

	t.Run("another enrolled kiosk may sign its own", func(t *testing.T) {
		// A kiosk's key vouches for the packages it makes: offline that is
		// all there is to tell; head office also matches the mTLS client.
		z := other.Build(t, other.Files(t, s))
		r := verifyReport(z, withRoots)
		if !r.Passed() || r.Package.Kiosk != "K-02" {
			t.Fatalf("%s", r.Reason)
		}
	})
}

func verifyReport(z []byte, opts pack.VerifyOptions) pack.Report {
	sum, probs := pack.Verify(z, opts)
	return sum.Report(probs)
}

func firstFailedSig(r pack.Report) *cades.Check {
	for i := range r.Report.Checks {
		if r.Report.Checks[i].Status == cades.Failed {
			return &r.Report.Checks[i]
		}
	}
	return nil
}

// Build makes only packages head office would take.
func TestBuildRefuses(t *testing.T) {
	env := packtest.NewEnv(t)
	s := env.Sign(t, "900101300123", []byte("%PDF-1.7 the application"))
	other := env.NewKiosk(t, "K-02")
	for _, tc := range []struct {
		name string
		edit func(*pack.Files)
		key  ed25519.PrivateKey
		want string
	}{
		{"no device certificate", func(f *pack.Files) { f.DeviceCert = nil }, env.Key, "device certificate: not a PEM certificate"},
		{"another key's certificate", func(f *pack.Files) { f.DeviceCert = other.CertPEM }, env.Key, "certifies another key"},
		{"another kiosk's evidence", func(f *pack.Files) {
			f.Evidence = packtest.Evidence(t, s, func(m map[string]any) { m["kiosk"] = "K-02" })
		}, env.Key, `it is kiosk "K-01"'s, not kiosk "K-02"'s`},
		{"a person's certificate", func(f *pack.Files) { f.DeviceCert = []byte(s.Cert) }, env.Key, "lacks the kiosk device policy"},
		{"no package id", func(f *pack.Files) { f.PackageID = "" }, env.Key, "is not a lowercase UUID"},
		{"upper-case package id", func(f *pack.Files) { f.PackageID = strings.ToUpper(packtest.PackageID) }, env.Key, "is not a lowercase UUID"},
		{"no ticket id", func(f *pack.Files) {
			f.Evidence = packtest.Evidence(t, s, func(m map[string]any) { delete(m, "ticket_id") })
		}, env.Key, "ticket_id and order_id are required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := packtest.Files(t, s)
			f.DeviceCert = env.Kiosk.CertPEM
			tc.edit(&f)
			if _, err := pack.Build(f, tc.key); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Build = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLoadDeviceCert(t *testing.T) {
	env := packtest.NewEnv(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "device.pem")
	if err := os.WriteFile(path, env.Kiosk.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	at := packtest.Now()
	b, err := pack.LoadDeviceCert(path, env.Key, packtest.KioskID, at)
	if err != nil || !bytes.Equal(b, env.Kiosk.CertPEM) {
		t.Fatalf("LoadDeviceCert: %v", err)
	}
	other := env.NewKiosk(t, "K-02")
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, append(bytes.Clone(env.Kiosk.CertPEM), "junk"...), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		path  string
		key   ed25519.PrivateKey
		kiosk string
		at    time.Time
		want  string
	}{
		"missing":        {filepath.Join(dir, "none.pem"), env.Key, packtest.KioskID, at, "no such file"},
		"another key":    {path, other.Key, packtest.KioskID, at, "certifies another key"},
		"another kiosk":  {path, env.Key, "K-02", at, `it is kiosk "K-01"'s, not kiosk "K-02"'s`},
		"expired":        {path, env.Key, packtest.KioskID, at.AddDate(3, 0, 0), "expired"},
		"not yet valid":  {path, env.Key, packtest.KioskID, at.AddDate(0, 0, -1), "not valid before"},
		"data after PEM": {junk, env.Key, packtest.KioskID, at, "data after its certificates"},
	} {
		if _, err := pack.LoadDeviceCert(tc.path, tc.key, tc.kiosk, tc.at); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}

// Refile makes, cheaply, the package the kiosk would have made under
// another id: it verifies as that id's and as no other's.
func TestRefile(t *testing.T) {
	env := packtest.NewEnv(t)
	good := env.Build(t, packtest.Files(t, env.Sign(t, "900101300123", []byte("%PDF-1.7 the application"))))
	const id = "2b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b7a"
	z := packtest.Refile(t, good, env.Kiosk, id)
	if r := verifyReport(z, pack.VerifyOptions{Roots: env.Roots(), PackageID: id}); !r.Passed() {
		t.Fatalf("refiled: %s", r.Reason)
	}
	if r := verifyReport(z, pack.VerifyOptions{Roots: env.Roots(), PackageID: packtest.PackageID}); r.Passed() {
		t.Fatal("refiled package verified under its old id")
	}
	if again := packtest.Refile(t, z, env.Kiosk, packtest.PackageID); !bytes.Equal(again, good) {
		t.Error("refiled back is not the package Build made")
	}
}
