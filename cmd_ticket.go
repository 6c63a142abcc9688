package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/keyfile"
	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/app/ticket"
	"almatel.kz/signkiosk/camera"
)

// minQRSidePx: the ticket PNG must stay readable when shown on a phone or
// printed, so it is drawn at whole pixels per module and at least this big.
const minQRSidePx = 512

const ticketUsage = `usage: signkiosk ticket new [--order FILE] [--key FILE] [--qr OUT.png]
                             [--office CODE] [--staff CODE] [--ttl DURATION]

Make a signed session ticket, as the office system does, and print its text.
Without --order it carries the demo order. The key defaults to
<data dir>/ticket-ed25519.key and is created (with its .pub) if missing.

`

const scanUsage = `usage: signkiosk scan IMAGE [--pub FILE] [--office CODE] [--db FILE] [--no-record]

Decode the session ticket QR in IMAGE (PNG or JPEG), verify it, and record its
id as used, as the kiosk would. Exit 0 if it would start a session, 1 if not.

`

// runTicket handles "signkiosk ticket new".
func runTicket(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "new" {
		fmt.Fprint(stderr, ticketUsage)
		return 2
	}
	fs := flag.NewFlagSet("ticket new", flag.ContinueOnError)
	fs.SetOutput(stderr)
	orderPath := fs.String("order", "", "order JSON `file` (default: the demo order)")
	keyPath := fs.String("key", "", "head-office ticket private key `file` (PKCS#8 PEM)")
	qrPath := fs.String("qr", "", "also write the ticket as a QR code PNG to `file`")
	office := fs.String("office", "ALM-001", "office `code` the ticket is for")
	staff := fs.String("staff", "S-0042", "staff `code` issuing the ticket")
	ttl := fs.Duration("ttl", time.Hour, "how long the ticket is valid")
	nowFlag := fs.String("now", "", "") // hidden: issue time (RFC 3339), for tests and demos
	fs.Usage = func() { fmt.Fprint(stderr, ticketUsage); printFlags(fs, stderr, "now") }
	rest, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return usageExit(err)
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "ticket new: unexpected argument %q\n", rest[0])
		return 2
	}
	if *ttl <= 0 {
		fmt.Fprintln(stderr, "ticket new: --ttl must be positive")
		return 2
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			fmt.Fprintln(stderr, "ticket new: --now must be RFC 3339, like 2026-03-02T10:00:00+05:00")
			return 2
		}
		now = t
	}

	order := ticket.DemoOrder()
	if *orderPath != "" {
		o, err := readOrder(*orderPath)
		if err != nil {
			fmt.Fprintf(stderr, "ticket new: %v\n", err)
			return 1
		}
		order = o
	}
	priv, err := ticketKey(*keyPath)
	if err != nil {
		fmt.Fprintf(stderr, "ticket new: %v\n", err)
		return exitCode(err)
	}
	p := ticket.NewPayload(order, *office, *staff, now, *ttl)
	text, err := ticket.Encode(p, priv)
	if err != nil {
		fmt.Fprintf(stderr, "ticket new: %v\n", err)
		return 1
	}
	if *qrPath != "" {
		if err := writeTicketQR(*qrPath, text); err != nil {
			fmt.Fprintf(stderr, "ticket new: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "qr: %s\n", *qrPath)
	}
	// Ids and codes only: the order's subscriber stays inside the ticket.
	fmt.Fprintf(stderr, "ticket %s: order %s, office %s, valid until %s\n",
		p.TID, p.Order.ID, p.Office, p.ExpiresAt().Format(time.RFC3339))
	fmt.Fprintln(stdout, text)
	return 0
}

// runScan handles "signkiosk scan IMAGE".
func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pubPath := fs.String("pub", "", "head-office ticket public key `file` (default <data dir>/ticket-ed25519.pub)")
	office := fs.String("office", "ALM-001", "this kiosk's office `code`")
	dbPath := fs.String("db", "", "kiosk database `file` holding used ticket ids (default <data dir>/kiosk.db)")
	noRecord := fs.Bool("no-record", false, "only check; do not mark the ticket used")
	fs.Usage = func() { fmt.Fprint(stderr, scanUsage); fs.PrintDefaults() }
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return usageExit(err)
	}
	if len(rest) != 1 {
		fmt.Fprint(stderr, scanUsage)
		return 2
	}
	now := time.Now()

	var dataDir string
	if *pubPath == "" || (*dbPath == "" && !*noRecord) {
		if dataDir, err = config.DefaultDataDir(); err != nil {
			fmt.Fprintf(stderr, "scan: %v\n", err)
			return 2
		}
	}
	if *pubPath == "" {
		*pubPath = filepath.Join(dataDir, ticket.PublicKeyFile)
	}
	pub, err := ticket.LoadPublicKey(*pubPath)
	if err != nil {
		fmt.Fprintf(stderr, "scan: %v\n", err)
		return 2
	}

	text, err := camera.DecodeQRFile(rest[0])
	if err != nil {
		fmt.Fprintf(stderr, "scan: %v\n", err)
		return 1
	}
	v := ticket.Verifier{PublicKey: pub, Office: *office, Skew: config.Default().Ticket.ClockSkew}
	p, err := v.Verify(text, now)
	if err != nil {
		// Verify's messages are written for staff and never hold personal data.
		fmt.Fprintf(stderr, "scan: %v\n", err)
		return 1
	}
	if !*noRecord {
		if *dbPath == "" {
			*dbPath = filepath.Join(dataDir, "kiosk.db")
		}
		if err := recordTicket(ctx, *dbPath, p, now); err != nil {
			fmt.Fprintf(stderr, "scan: %v\n", err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "ok: order %s valid until %s\n", p.Order.ID, p.ExpiresAt().Format(time.RFC3339))
	return 0
}

// recordTicket marks the ticket used in the kiosk database, as a session start would.
func recordTicket(ctx context.Context, path string, p ticket.Payload, now time.Time) error {
	db, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	ledger, err := ticket.NewLedger(db)
	if err != nil {
		return err
	}
	return ledger.Use(ctx, p.TID, p.ExpiresAt(), now)
}

// readOrder reads an Order strictly: a misspelt field in the office
// system's JSON must fail here, not vanish from the signed ticket.
func readOrder(path string) (ticket.Order, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return ticket.Order{}, fmt.Errorf("read order: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var o ticket.Order
	if err := dec.Decode(&o); err != nil {
		return ticket.Order{}, fmt.Errorf("read order %s: %w", filepath.Base(path), err)
	}
	if dec.More() {
		return ticket.Order{}, fmt.Errorf("read order %s: data after the JSON object", filepath.Base(path))
	}
	return o, nil
}

// ticketKey loads the given key file, or the data dir's key pair, creating
// it on first use so a demo needs no setup. A key file others can read is
// refused (keyfile.CheckPrivate); a --key file that cannot be used is a
// fault of the setup (exit 2), not of a ticket.
func ticketKey(path string) (ed25519.PrivateKey, error) {
	if path != "" {
		k, err := ticket.LoadPrivateKey(path)
		return k, config.Fault(err)
	}
	dir, err := config.DefaultDataDir()
	if err != nil {
		return nil, err
	}
	priv, _, err := ticket.LoadOrCreateKeyPair(dir)
	return priv, err
}

// writeTicketQR writes text as a medium-recovery QR PNG with whole pixels
// per module, at least minQRSidePx wide. The ticket carries the
// subscriber's IIN, name, phone and address: the file is 0600, and it is
// written whole or not at all (a full disk leaves no empty PNG behind).
func writeTicketQR(path, text string) error {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("make QR: %w", err)
	}
	modules := len(q.Bitmap()) // including the quiet zone
	perModule := (minQRSidePx + modules - 1) / modules
	png, err := q.PNG(-perModule) // negative: pixels per module
	if err != nil {
		return fmt.Errorf("make QR: %w", err)
	}
	return keyfile.WriteFile(path, png, 0o600)
}

// parseInterleaved parses flags that may come after positional arguments
// ("scan IMAGE --pub FILE"), which flag.Parse alone stops at. After "--"
// everything is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// usageExit is the exit code after a flag parse error: asking for help is
// not a failure.
func usageExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// printFlags is PrintDefaults without the hidden flags.
func printFlags(fs *flag.FlagSet, w io.Writer, hidden ...string) {
	visible := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	visible.SetOutput(w)
	fs.VisitAll(func(f *flag.Flag) {
		for _, h := range hidden {
			if f.Name == h {
				return
			}
		}
		visible.Var(f.Value, f.Name, f.Usage)
		visible.Lookup(f.Name).DefValue = f.DefValue
	})
	visible.PrintDefaults()
}
