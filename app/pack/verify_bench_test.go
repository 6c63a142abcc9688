package pack_test

import (
	"testing"

	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/app/pack/packtest"
)

// BenchmarkVerify is `signkiosk verify` of one package minus reading the
// file: layout, manifest and device signature, and the long-term
// signature's every check (time stamp, OCSP, chains as of genTime).
func BenchmarkVerify(b *testing.B) {
	env := packtest.NewEnv(b)
	z := env.Build(b, packtest.Files(b, env.Sign(b, "900101300123", []byte("%PDF-1.7 application"))))
	opts := pack.VerifyOptions{DevicePub: env.DevicePub(), Roots: env.Roots()}
	for b.Loop() {
		if sum, probs := pack.Verify(z, opts); len(probs) != 0 || !sum.Report(probs).Passed() {
			b.Fatal(probs)
		}
	}
}
