// Command signkiosk is the AlmaTel signing kiosk and its tools. This file is
// the composition root: it parses the subcommand and wires the parts.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/keyfile"
)

func main() {
	// Owner-only by default: the kiosk writes personal data (kiosk.db and
	// its -wal/-shm, packages, ticket QRs, selftest ZIPs) and private keys,
	// and a file another local account can read leaks them. The few public
	// files (certificates, .pub keys) are chmodded explicitly, and the
	// writers that matter set 0600 themselves as well (tests run run, not
	// main).
	syscall.Umask(0o077)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a subcommand and returns the process exit code:
// 0 ok, 1 the command failed (bad ticket, bad package…), 2 bad usage or config.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return runKiosk(ctx, nil, stdout, stderr)
	}
	switch args[0] {
	case "ticket":
		return runTicket(ctx, args[1:], stdout, stderr)
	case "scan":
		return runScan(ctx, args[1:], stdout, stderr)
	case "provider-sim":
		return runProviderSim(ctx, args[1:], stdout, stderr)
	case "verify":
		return runVerify(ctx, args[1:], stdout, stderr)
	case "headoffice":
		return runHeadOffice(ctx, args[1:], stdout, stderr)
	case "sync":
		return runSync(ctx, args[1:], stdout, stderr)
	case "outbox":
		return runOutbox(ctx, args[1:], stdout, stderr)
	case "selftest":
		return runSelftest(ctx, args[1:], stdout, stderr)
	case "staff-pin":
		return runStaffPIN(ctx, args[1:], os.Stdin, stdout, stderr)
	case "camera":
		return runCamera(ctx, args[1:], stdout, stderr)
	case "screens":
		return runScreens(ctx, args[1:], stdout, stderr)
	case "probe":
		return runProbe(ctx, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "signkiosk", version)
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		if len(args[0]) > 0 && args[0][0] == '-' {
			return runKiosk(ctx, args, stdout, stderr)
		}
		fmt.Fprintf(stderr, "signkiosk: unknown command %q (try 'signkiosk help')\n", args[0])
		return 2
	}
}

// exitCode is a failed command's exit code: 2 for a fault of the setup the
// operator must fix — a bad config value, a file the config names that is
// missing or unusable (config.ErrFault), a private key others can read
// (keyfile.ErrInsecure) — else 1, the thing checked or done failed.
func exitCode(err error) int {
	if errors.Is(err, config.ErrFault) || errors.Is(err, keyfile.ErrInsecure) {
		return 2
	}
	return 1
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func usage(w io.Writer) {
	fmt.Fprint(w, `signkiosk — AlmaTel signing kiosk

usage:
  signkiosk [--config FILE]           run the kiosk (demo mode when no config)
  signkiosk ticket new --order FILE   make a signed session ticket and its QR
  signkiosk scan IMAGE                decode and verify a ticket from a picture
  signkiosk verify PACKAGE.zip        check a signed package, long-term, offline (--roots, --at, --report json)
  signkiosk selftest --out DIR        one synthetic session end to end; writes its package
  signkiosk outbox [list|requeue]     outbox counts, rows (no personal data), requeue dead letters
  signkiosk sync                      deliver due packages to head office now
  signkiosk staff-pin < PIN           print the staff menu's pin_hash config line for a PIN on stdin
  signkiosk camera list               webcams: path, card, driver, bus info, formats and sizes
  signkiosk camera test [--seconds N] read the configured camera for N s: resolution, format, fps, dropped frames
  signkiosk provider-sim --listen A   run the provider simulator and its national CA (TSA, OCSP, CRLs
                                      under /nca; --nca-root FILE writes the root to trust)
  signkiosk headoffice --data DIR --roots FILE
                                      run the reference head-office receiver (mTLS)
  signkiosk version                   print the version
`)
}
