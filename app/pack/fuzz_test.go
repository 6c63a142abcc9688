package pack_test

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/pack/packtest"
)

// update rewrites the fuzz fixtures: go test ./app/pack -run TestFuzzFixtures -update
var update = flag.Bool("update", false, "rewrite testdata/fuzz-*")

const (
	fixturePackage = "testdata/fuzz-seed.zip"
	fixtureDevice  = "testdata/fuzz-device.pub"
	fixtureKioskCA = "testdata/fuzz-kiosk-ca.pem"
)

// TestFuzzFixtures keeps the package FuzzVerifyPackage starts from valid.
// The fuzzer needs a fixture: a real session generates RSA keys, which
// under coverage instrumentation stalls its workers. The CMS is checked at
// its signed signing-time, so the fixture does not expire.
func TestFuzzFixtures(t *testing.T) {
	if *update {
		env := packtest.NewEnv(t)
		z := env.Build(t, packtest.Files(t, env.Sign(t, "900101300123", []byte("%PDF-1.7 fuzz seed"))))
		pub, err := pack.PublicKeyPEM(env.DevicePub())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixturePackage, z, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixtureDevice, pub, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(fixtureKioskCA, env.KioskRootPEM(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	z, pub, kioskCA := fuzzFixtures(t)
	if sum, probs := pack.Verify(z, pack.VerifyOptions{DevicePub: pub, DeviceRoots: kioskCA}); len(probs) != 0 || sum.ManifestSigned != "verified" {
		t.Fatalf("fixture does not verify: %q %+v", probs, sum)
	}
	// Nor will it stop verifying: the device certificate is checked as of
	// the signing time too.
	later := time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)
	if sum, probs := pack.Verify(z, pack.VerifyOptions{DevicePub: pub, DeviceRoots: kioskCA, At: later}); len(probs) != 0 || sum.ManifestSigned != "verified" {
		t.Fatalf("fixture in 2040: %q %+v", probs, sum)
	}
}

func fuzzFixtures(t testing.TB) ([]byte, ed25519.PublicKey, *x509.CertPool) {
	t.Helper()
	z, err := os.ReadFile(fixturePackage)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(fixtureDevice)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := pack.ParsePublicKeyPEM(b)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(fixtureKioskCA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		t.Fatal("no kiosk CA in " + fixtureKioskCA)
	}
	return z, pub, pool
}

// maxFuzzProblems is far above what any package can produce (64 entries,
// 8 files, a few checks each): more means something is listed per item of
// unbounded input.
const maxFuzzProblems = 200

// FuzzVerifyPackage: Verify never panics, reads no more than its limits,
// says each problem in one line and a bounded number of them, and whatever
// it accepts is a whole, signed package.
// Like the CMS target, run it with -fuzzminimizetime 100x: minimising a
// mutant of the 5.6 KB seed would take the whole run.
func FuzzVerifyPackage(f *testing.F) {
	z, pub, kioskCA := fuzzFixtures(f)
	f.Add(z)
	f.Add(append(bytes.Repeat([]byte("junk"), 64), z...))
	f.Add(append(bytes.Clone(z), "junk"...))
	f.Add(z[:len(z)*2/3])
	f.Add(z[:len(z)-1])
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18))) // an empty archive
	f.Add([]byte{})
	var small bytes.Buffer // two entries of the same name, stored
	zw := zip.NewWriter(&small)
	for range 2 {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: pack.NameEvidence, Method: zip.Store})
		if err != nil {
			f.Fatal(err)
		}
		if _, err := w.Write([]byte(`{"a":1,"a":2}`)); err != nil {
			f.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		f.Fatal(err)
	}
	f.Add(small.Bytes())

	// Small limits keep each run cheap; the defaults are checked the same way.
	opts := pack.VerifyOptions{DevicePub: pub, DeviceRoots: kioskCA, MaxEntry: 1 << 20, MaxTotal: 2 << 20}
	f.Fuzz(func(t *testing.T, b []byte) {
		sum, probs := pack.Verify(b, opts)
		if len(probs) > maxFuzzProblems {
			t.Fatalf("%d problems", len(probs))
		}
		for _, p := range probs {
			if strings.ContainsAny(string(p), "\r\n") {
				t.Fatalf("problem is not one line: %q", p)
			}
		}
		if len(probs) == 0 && (sum.Files != 9 || sum.ManifestSigned != "verified" || sum.SignerCN == "") {
			t.Fatalf("accepted an incomplete package: %+v", sum)
		}
	})
}

// FuzzParseDeviceCert: device.pem is the sender's; reading it never
// panics, and what it accepts is a certificate chain of bounded length
// whose profile can be judged.
func FuzzParseDeviceCert(f *testing.F) {
	z, _, _ := fuzzFixtures(f)
	dev, err := pack.File(z, pack.NameDevice)
	if err != nil {
		f.Fatal(err)
	}
	ca, err := os.ReadFile(fixtureKioskCA)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(dev)
	f.Add(append(bytes.Clone(dev), ca...))
	f.Add(append(bytes.Clone(dev), "junk"...))
	f.Add(bytes.Repeat(dev, 5))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		leaf, inter, err := pack.ParseDeviceCert(b)
		if err != nil {
			if leaf != nil || inter != nil {
				t.Fatal("an error with a certificate")
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error is not one line: %q", err)
			}
			return
		}
		if leaf == nil || len(inter) > 3 {
			t.Fatalf("accepted %v with %d intermediates", leaf, len(inter))
		}
		_ = pack.CheckDeviceProfile(leaf)
	})
}
