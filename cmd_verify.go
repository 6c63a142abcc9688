package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"almatel.kz/signkiosk/app/pack"
)

// maxPackageBytes bounds the ZIP read into memory; real packages are well
// under a megabyte, and entries are bounded separately by pack.Verify.
const maxPackageBytes = 128 << 20

// maxShownProblems bounds the lines printed for a hostile package: the
// first problems say what is wrong, a count says how much more.
const maxShownProblems = 20

const verifyUsage = `usage: signkiosk verify PACKAGE.zip [--ca FILE] [--device-pub FILE]

Check a signed package: every file against the manifest, the manifest's
device signature, the CMS signature over the PDF and its chain, the signer
certificate and the evidence. Prints one line per problem (the first 20 and
a count of the rest) and exits 1, or a short summary and exits 0.

Without --ca the chain is checked up to the package's own chain.pem root,
which proves the package is intact but not who issued the certificate.
Without --device-pub the manifest signature is not checked.

`

// runVerify handles "signkiosk verify".
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	caPath := fs.String("ca", "", "trusted CA certificates `file` (PEM)")
	pubPath := fs.String("device-pub", "", "kiosk device public key `file` (PEM)")
	fs.Usage = func() { fmt.Fprint(stderr, verifyUsage); printFlags(fs, stderr) }
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(rest) != 1 {
		fs.Usage()
		return 2
	}
	if err := ctx.Err(); err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		return 1
	}
	var opts pack.VerifyOptions
	if *caPath != "" {
		if opts.Roots, err = loadCAFile(*caPath); err != nil {
			fmt.Fprintf(stderr, "verify: %v\n", err)
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
	if len(probs) > 0 {
		for _, p := range probs[:min(len(probs), maxShownProblems)] {
			fmt.Fprintln(stdout, p)
		}
		if more := len(probs) - maxShownProblems; more > 0 {
			fmt.Fprintf(stdout, "… and %d more problems\n", more)
		}
		return 1
	}
	fmt.Fprintf(stdout, "OK: %d files\n", sum.Files)
	fmt.Fprintf(stdout, "signer: %s (certificate serial %s)\n", sum.SignerCN, sum.SignerSerial)
	fmt.Fprintf(stdout, "signed at: %s\n", sum.SignedAt.UTC().Format("2006-01-02 15:04:05 MST"))
	fmt.Fprintf(stdout, "order: %s\n", sum.OrderID)
	fmt.Fprintf(stdout, "chain checked against: %s\n", sum.Trust)
	fmt.Fprintf(stdout, "manifest signature: %s\n", sum.ManifestSigned)
	return 0
}

// loadCAFile reads PEM certificates into a pool.
func loadCAFile(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New("--ca: no PEM certificates in the file")
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
