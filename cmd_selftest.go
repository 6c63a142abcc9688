package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/keyfile"
	"almatel.kz/signkiosk/app/kiosk"
	"almatel.kz/signkiosk/app/pack"
)

// runSelftest runs one complete synthetic session headless — demo ticket,
// provider simulator, PDF, signature, package — through the same runner the
// kiosk uses, writes the package into --out and prints its path: what an
// installer runs to prove a kiosk works end to end. It works in a scratch
// data dir (see selftestScratch: one a killed run leaves is removed by the
// next), so the kiosk's own database, keys and packages are not touched.
func runSelftest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("selftest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "folder for the package (required)")
	lang := fs.String("lang", "kk", "session language: kk, ru or en")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "selftest: usage: signkiosk selftest --out DIR [--lang kk]")
		return 2
	}
	if *lang != "kk" && *lang != "ru" && *lang != "en" {
		fmt.Fprintf(stderr, "selftest: --lang %q is not kk, ru or en\n", *lang)
		return 2
	}
	path, sum, err := selftest(ctx, *out, *lang)
	if err != nil {
		fmt.Fprintf(stderr, "selftest: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "selftest: ok — %s\n  certificate %s, order %s, %d files verified, manifest signature %s\n"+
		"  long-term signature TOTAL_PASSED, time-stamped %s; the demo CA's roots: %s\n",
		path, sum.SignerSerial, sum.OrderID, sum.Files, sum.ManifestSigned, sum.SignedAt.UTC().Format(time.RFC3339), selftestRoots(path))
	return 0
}

// selftestRoots is where selftest writes the roots its package verifies with.
func selftestRoots(zipPath string) string {
	return strings.TrimSuffix(zipPath, ".zip") + "-nca-roots.pem"
}

func selftest(ctx context.Context, outDir, lang string) (string, pack.Summary, error) {
	scratch, err := newSelftestScratch()
	if err != nil {
		return "", pack.Summary{}, err
	}
	defer scratch.Close()
	data := scratch.Dir
	cfg, err := config.LoadDemo(data)
	if err != nil {
		return "", pack.Summary{}, err
	}
	gate := make(chan struct{})
	k, err := assemble(cfg, io.Discard, io.Discard, portWraps{Provider: func(p kiosk.Provider) kiosk.Provider {
		return gatedSign{Provider: p, gate: gate}
	}})
	if err != nil {
		return "", pack.Summary{}, err
	}
	defer k.close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	go k.runner.Run(ctx)

	drv := sessionDriver{k: k, signGate: gate}
	for _, st := range drv.steps(ctx) {
		if err := drv.do(ctx, st); err != nil {
			return "", pack.Summary{}, fmt.Errorf("%s: %w", st.name, err)
		}
		if st.name == "welcome" {
			k.runner.SetLang(lang)
			if err := drv.waitLang(ctx, lang); err != nil {
				return "", pack.Summary{}, err
			}
		}
	}
	rc := k.runner.State().Receipt
	zipBytes, err := k.outbox.Payload(ctx, rc.PackageID)
	if err != nil {
		return "", pack.Summary{}, fmt.Errorf("read package from the outbox: %w", err)
	}
	pubPEM, err := os.ReadFile(filepath.Join(data, "device-ed25519.pub"))
	if err != nil {
		return "", pack.Summary{}, fmt.Errorf("device key: %w", err)
	}
	pub, err := pack.ParsePublicKeyPEM(pubPEM)
	if err != nil {
		return "", pack.Summary{}, fmt.Errorf("device key: %w", err)
	}
	roots, err := loadRoots(cfg.NCA.Roots)
	if err != nil {
		return "", pack.Summary{}, err
	}
	sum, problems := pack.Verify(zipBytes, pack.VerifyOptions{DevicePub: pub, Roots: roots, Trust: "the demo's national CA"})
	if len(problems) > 0 {
		return "", sum, fmt.Errorf("the package does not verify: %s", problems[0])
	}
	if r := sum.Report(problems); !r.Passed() {
		return "", sum, fmt.Errorf("the signature is not long-term valid: %s", r.Reason)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", sum, fmt.Errorf("out: %w", err)
	}
	path := filepath.Join(outDir, "selftest-"+rc.PackageID+".zip")
	// The package holds the (synthetic) subscriber's IIN, name, phone and
	// address, as a real one would: 0600, written whole or not at all.
	if err := keyfile.WriteFile(path, zipBytes, 0o600); err != nil {
		return "", sum, fmt.Errorf("out: %w", err)
	}
	// The run's national CA is gone with its scratch: its root goes beside
	// the package, for `signkiosk verify PACKAGE --roots ROOTS`.
	rootsPEM, err := os.ReadFile(cfg.NCA.Roots)
	if err == nil {
		err = keyfile.WriteFile(selftestRoots(path), rootsPEM, 0o600)
	}
	if err != nil {
		return "", sum, fmt.Errorf("out: roots: %w", err)
	}
	return path, sum, nil
}
