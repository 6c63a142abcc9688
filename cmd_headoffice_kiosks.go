package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"almatel.kz/signkiosk/app/keyfile"
	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/sync/headoffice"
	"almatel.kz/signkiosk/sync/pki"
)

// kioskArgs parses "headoffice enrol|revoke|kiosks|failed": --data DIR,
// --store and --dsn into st, the flags extra adds, and as many kiosk ids
// as want (0 or 1), each a valid id.
func kioskArgs(name string, args []string, want int, stderr io.Writer, st *storeFlags, extra func(*flag.FlagSet)) (dataDir, kiosk string, code int) {
	fs := flag.NewFlagSet("headoffice "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "", "head office data `dir`ectory (required)")
	st.register(fs)
	if extra != nil {
		extra(fs)
	}
	rest, err := parseInterleaved(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stderr, headOfficeUsage)
		return "", "", -1
	case err != nil:
		fmt.Fprintf(stderr, "headoffice %s: %v\n", name, err)
		return "", "", 2
	case len(rest) != want:
		if want == 0 {
			fmt.Fprintf(stderr, "headoffice %s: unexpected argument %q\n", name, rest[0])
		} else {
			fmt.Fprintf(stderr, "headoffice %s: want one kiosk id (signkiosk headoffice %s KIOSK --data DIR)\n", name, name)
		}
		return "", "", 2
	case *data == "":
		fmt.Fprintf(stderr, "headoffice %s: --data DIR is required\n", name)
		return "", "", 2
	}
	if err := st.check(); err != nil {
		fmt.Fprintf(stderr, "headoffice %s: %v\n", name, err)
		return "", "", 2
	}
	if want == 1 {
		kiosk = rest[0]
		if !pack.ValidKioskID(kiosk) {
			fmt.Fprintf(stderr, "headoffice %s: kiosk id %q: want 1–64 letters, digits, '.', '_' or '-'\n", name, kiosk)
			return "", "", 2
		}
	}
	return *data, kiosk, 0
}

// helpExit turns kioskArgs' -1 (help shown) into exit 0.
func helpExit(code int) int {
	if code < 0 {
		return 0
	}
	return code
}

// runEnrol handles "signkiosk headoffice enrol KIOSK".
func runEnrol(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var pubPath string
	var st storeFlags
	dataDir, kiosk, code := kioskArgs("enrol", args, 1, stderr, &st, func(fs *flag.FlagSet) {
		fs.StringVar(&pubPath, "device-pub", "", "the kiosk's device public key `file` (PEM, <kiosk data>/device-ed25519.pub)")
	})
	if code != 0 {
		return helpExit(code)
	}
	pkiDir := filepath.Join(dataDir, "pki")
	var pub ed25519.PublicKey
	madeKey := ""
	if pubPath != "" {
		b, err := os.ReadFile(pubPath)
		if err == nil {
			pub, err = pack.ParsePublicKeyPEM(b)
		}
		if err != nil {
			fmt.Fprintf(stderr, "headoffice enrol: --device-pub: %v\n", err)
			return 2
		}
	}
	p, err := pki.LoadOrCreate(pkiDir, time.Now)
	if err != nil {
		fmt.Fprintf(stderr, "headoffice enrol: %v\n", err)
		return 1
	}
	db, err := st.openIndex(ctx, dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "headoffice enrol: %v\n", err)
		return 1
	}
	defer db.Close()
	if pub == nil {
		// No key of the kiosk's own: one made here, to install on it
		// (like the client key, which head office makes too).
		name := "kiosk-" + kiosk + ".device-ed25519"
		if _, pub, err = keyfile.LoadOrCreate(pkiDir, name, "kiosk "+kiosk+" device key"); err != nil {
			fmt.Fprintf(stderr, "headoffice enrol: %v\n", err)
			return 1
		}
		madeKey = filepath.Join(pkiDir, name+".key")
	}
	e, err := headoffice.EnrolKiosk(ctx, db, p, pkiDir, kiosk, pub, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "headoffice enrol: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "kiosk %s enrolled\n", kiosk)
	fmt.Fprintf(stdout, "CA certificate (sync.ca_cert): %s\n", e.CACert)
	fmt.Fprintf(stdout, "client certificate (sync.client_cert): %s\n", e.ClientCert)
	fmt.Fprintf(stdout, "client key (sync.client_key): %s\n", e.ClientKey)
	fmt.Fprintf(stdout, "device certificate (device.cert): %s\n", e.DeviceCert)
	if madeKey != "" {
		fmt.Fprintf(stdout, "device key (install as <kiosk data_dir>/%s, mode 0600): %s\n", pack.DeviceKeyFile, madeKey)
	}
	return 0
}

// runRevoke handles "signkiosk headoffice revoke KIOSK".
func runRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var st storeFlags
	dataDir, kiosk, code := kioskArgs("revoke", args, 1, stderr, &st, nil)
	if code != 0 {
		return helpExit(code)
	}
	db, err := st.openIndex(ctx, dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "headoffice revoke: %v\n", err)
		return 1
	}
	defer db.Close()
	k, err := db.Revoke(ctx, kiosk, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "headoffice revoke: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "kiosk %s revoked at %s: its packages are refused (422 %s) and its connections refused\n",
		k.ID, k.RevokedAt.UTC().Format(time.RFC3339), headoffice.CheckKioskRevoked)
	return 0
}

// runKiosks handles "signkiosk headoffice kiosks".
func runKiosks(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var st storeFlags
	dataDir, _, code := kioskArgs("kiosks", args, 0, stderr, &st, nil)
	if code != 0 {
		return helpExit(code)
	}
	db, err := st.openIndex(ctx, dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "headoffice kiosks: %v\n", err)
		return 1
	}
	defer db.Close()
	ks, err := db.Kiosks(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "headoffice kiosks: %v\n", err)
		return 1
	}
	beats, err := db.Beats(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "headoffice kiosks: %v\n", err)
		return 1
	}
	last := map[string]headoffice.KioskBeat{}
	for _, b := range beats {
		last[b.Kiosk] = b
	}
	if len(ks) == 0 {
		fmt.Fprintln(stdout, "no kiosk enrolled")
	}
	now := time.Now()
	for _, k := range ks {
		state := "in service"
		if k.Revoked() {
			state = "revoked " + k.RevokedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "%s\t%s\tenrolled %s\t%d device certificate(s)\t%s\n", k.ID, state,
			k.EnrolledAt.UTC().Format(time.RFC3339), k.Devices, beatSummary(last[k.ID], k, now))
	}
	return 0
}

// beatSummary is a kiosk's newest heartbeat in one column: when, SILENT
// when two beats are missed, and what it said.
func beatSummary(b headoffice.KioskBeat, k headoffice.Kiosk, now time.Time) string {
	if b.Beats == 0 {
		if k.Revoked() {
			return "no heartbeat"
		}
		return "no heartbeat yet"
	}
	silent := ""
	if b.Silent(now) && !k.Revoked() {
		silent = " SILENT"
	}
	hb := b.Beat
	return fmt.Sprintf("beat %s%s: %s, outbox %d pending %d dead, camera %s, clock %+.1f s, %.1f GB free",
		b.ReceivedAt.UTC().Format(time.RFC3339), silent, hb.Version, hb.Pending, hb.Dead, hb.Camera,
		float64(b.OffsetMS)/1000, float64(hb.FreeDisk)/1e9)
}
