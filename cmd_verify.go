package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"almatel.kz/signkiosk/app/cades"
	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/pack"
)

// maxPackageBytes bounds the ZIP read into memory; real packages are well
// under a megabyte, and entries are bounded separately by pack.Verify.
const maxPackageBytes = 128 << 20

// maxShownProblems bounds the lines printed for a hostile package: the
// first problems say what is wrong, a count says how much more.
const maxShownProblems = 20

// exitIndeterminate is verify's exit status when nothing failed but the
// signature could not be fully validated (no trusted roots, say).
const exitIndeterminate = 3

const verifyUsage = `usage: signkiosk verify PACKAGE.zip [--roots FILE] [--kiosk-roots FILE] [--at TIME]
                        [--report text|json] [--extract DIR] [--device-pub FILE]

Check a signed package, offline: its layout, every file against the
manifest, the ids the manifest binds it to (package, ticket, order), who
signed the manifest — its signature must verify with the key of device.pem,
a kiosk device certificate (policy ` + pack.DevicePolicyOID + `)
that chains to a trusted root as of the signing time and names the kiosk
the evidence names —, the evidence, and the long-term signature: the
detached CMS and its signer certificate, the document digest, the RFC 3161
time stamp over the signature value and its TSA's chain (genTime is the
moment of signing), the embedded OCSP response's signature, its
responder's chain, status good within 5 minutes of genTime, and the
signer's chain as of genTime.

Prints the indication (TOTAL_PASSED, TOTAL_FAILED or INDETERMINATE), the
reason, and one line per check; exits 0, 1 or 3 accordingly (2: bad usage).

  --roots FILE        trusted root certificates (PEM): the national CA's and
                      head office's kiosk CA. Without it nothing is trusted:
                      INDETERMINATE, with the reason — except in demo mode
                      (no SIGNKIOSK_CONFIG), which trusts the demo's roots
                      bundle under the demo data dir if present.
  --kiosk-roots FILE  trust these (head office's kiosk CA) for device
                      certificates only, and --roots for the signature only.
  --at TIME           validate as of TIME (RFC 3339, or YYYY-MM-DD): a good
                      package still passes after its certificates expire.
  --report json       print the validation report as JSON (ETSI-style).
  --extract DIR       write the time stamp, the OCSP response and the
                      certificates for independent tools (openssl ts, ocsp).
  --device-pub FILE   also require device.pem to certify this device key
                      (PEM, e.g. <data>/device-ed25519.pub).

`

// runVerify handles "signkiosk verify".
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rootsPath := fs.String("roots", "", "trusted root certificates `file` (PEM)")
	caPath := fs.String("ca", "", "the same as --roots (older name)")
	pubPath := fs.String("device-pub", "", "kiosk device public key `file` (PEM) device.pem must certify")
	kioskRootsPath := fs.String("kiosk-roots", "", "trusted kiosk CA `file` (PEM) for device certificates only")
	atText := fs.String("at", "", "validation `time` (RFC 3339 or YYYY-MM-DD); default now")
	format := fs.String("report", "text", "report `format`: text or json")
	extract := fs.String("extract", "", "write the time stamp, OCSP response and certificates into `dir`")
	fs.Usage = func() { fmt.Fprint(stderr, verifyUsage); printFlags(fs, stderr) }
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(rest) != 1 {
		fs.Usage()
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "verify: --report must be text or json, not %q\n", *format)
		return 2
	}
	if err := ctx.Err(); err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		return 1
	}
	var opts pack.VerifyOptions
	if opts.At, err = parseAt(*atText); err != nil {
		fmt.Fprintf(stderr, "verify: --at: %v\n", err)
		return 2
	}
	if *rootsPath == "" {
		*rootsPath = *caPath
	}
	if opts.Roots, opts.Trust, err = verifyRoots(*rootsPath); err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		return 2
	}
	if *kioskRootsPath != "" {
		if opts.DeviceRoots, err = loadCAFile(*kioskRootsPath); err != nil {
			fmt.Fprintf(stderr, "verify: --kiosk-roots: %v\n", err)
			return 2
		}
	}
	if *pubPath != "" {
		b, err := os.ReadFile(*pubPath)
		if err == nil {
			opts.DevicePub, err = pack.ParsePublicKeyPEM(b)
		}
		if err != nil {
			fmt.Fprintf(stderr, "verify: --device-pub: %v\n", err)
			return 2
		}
	}
	zipBytes, err := readCapped(rest[0], maxPackageBytes)
	if err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		return 1
	}
	sum, probs := pack.Verify(zipBytes, opts)
	report := sum.Report(probs)
	if *extract != "" {
		if err := extractParts(zipBytes, sum, *extract, stderr); err != nil {
			fmt.Fprintf(stderr, "verify: %v\n", err)
			return 1
		}
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			fmt.Fprintf(stderr, "verify: %v\n", err)
			return 1
		}
	} else {
		printReport(stdout, sum, probs, report)
	}
	switch report.Indication {
	case cades.TotalPassed:
		return 0
	case cades.Indeterminate:
		return exitIndeterminate
	}
	return 1
}

// printReport writes the text form: problems first (at most 20), then the
// indication, what was found and each check.
func printReport(w io.Writer, sum pack.Summary, probs []pack.Problem, r pack.Report) {
	for _, p := range probs[:min(len(probs), maxShownProblems)] {
		fmt.Fprintln(w, p)
	}
	if more := len(probs) - maxShownProblems; more > 0 {
		fmt.Fprintf(w, "… and %d more problems\n", more)
	}
	fmt.Fprintf(w, "%s: %s\n", r.Indication, r.Reason)
	if sum.SignerCN != "" {
		fmt.Fprintf(w, "signer: %s (certificate serial %s)\n", sum.SignerCN, sum.SignerSerial)
	}
	if r.SigningTime != nil {
		fmt.Fprintf(w, "signed at: %s (the time stamp's genTime)\n", r.SigningTime.UTC().Format("2006-01-02 15:04:05 MST"))
	}
	if sum.OrderID != "" {
		fmt.Fprintf(w, "order: %s\n", sum.OrderID)
	}
	if sum.PackageID != "" {
		fmt.Fprintf(w, "package: %s (ticket %s)\n", sum.PackageID, sum.TicketID)
	}
	if d := r.Package.Device; d != nil && sum.Kiosk != "" {
		fmt.Fprintf(w, "kiosk: %s (device certificate serial %s, issued by %s)\n", sum.Kiosk, d.Serial, d.Issuer)
	}
	fmt.Fprintf(w, "validated as of: %s\n", r.ValidationTime.UTC().Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(w, "trusted roots: %s\n", sum.Trust)
	fmt.Fprintf(w, "manifest signature: %s\n", sum.ManifestSigned)
	fmt.Fprintln(w, "signature checks:")
	for _, c := range r.Checks {
		fmt.Fprintf(w, "  %-13s %s: %s\n", c.Status, c.ID, c.Reason)
	}
	fmt.Fprintln(w, "package checks:")
	for _, c := range r.Package.Checks {
		fmt.Fprintf(w, "  %-13s %s: %s\n", c.Status, c.ID, c.Reason)
	}
}

// verifyRoots loads --roots, or in demo mode the demo simulator's roots;
// otherwise nothing is trusted.
func verifyRoots(path string) (*x509.CertPool, string, error) {
	if path != "" {
		pool, err := loadCAFile(path)
		return pool, "--roots " + path, err
	}
	if os.Getenv(config.EnvConfig) != "" {
		return nil, "", nil
	}
	dir, err := config.DefaultDataDir()
	if err != nil {
		return nil, "", nil
	}
	demo := config.DemoRootsFile(dir)
	if _, err := os.Stat(demo); err != nil {
		return nil, "", nil
	}
	pool, err := loadCAFile(demo)
	return pool, "demo mode: the demo simulator's roots (" + demo + ")", err
}

// parseAt reads --at: RFC 3339 or a date (midnight UTC).
func parseAt(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339 (2036-01-02T15:04:05Z) or a date (2036-01-02)", s)
}

// extractParts writes the CMS's proofs for independent tools.
func extractParts(zipBytes []byte, sum pack.Summary, dir string, stderr io.Writer) error {
	if sum.Result == nil {
		return errors.New("--extract: the package holds no readable signature")
	}
	cmsDER, err := pack.File(zipBytes, pack.NameCMS)
	if err != nil {
		return fmt.Errorf("--extract: %w", err)
	}
	names, err := cades.Extract(cmsDER, *sum.Result, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "extracted into %s: %s\n", dir, strings.Join(names, ", "))
	return nil
}

// loadCAFile reads PEM certificates into a pool.
func loadCAFile(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--roots: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New("--roots: no PEM certificates in the file")
	}
	return pool, nil
}

// readCapped reads a whole file but refuses one larger than limit.
func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read package: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("package larger than %d bytes", limit)
	}
	return b, nil
}
