package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"almatel.kz/signkiosk/app/config"
	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/sync/outbox"
)

const outboxUsage = `usage:
  signkiosk outbox [--config FILE]                 counts by state, oldest pending, last sync
  signkiosk outbox list [--limit 20] [--config FILE]  the newest items, one per line
  signkiosk outbox requeue [ID…] [--config FILE]    make dead letters pending again (all when no ID)

The outbox holds signed packages and the signed records of sessions that
ended before signing (kind failed_session, docs/FAILED_SESSIONS.md); both
go to head office in the same sync. Shows ids, kinds, states, sizes and
times only; never personal data.

`

// runOutbox handles "signkiosk outbox": exit 0 ok, 1 the outbox could not be
// read or changed (damaged database, wrong key), 2 bad usage or config (a
// key file that is missing, malformed or readable by others included).
func runOutbox(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return outboxCmd{now: time.Now, stdout: stdout, stderr: stderr}.run(ctx, args)
}

type outboxCmd struct {
	now            func() time.Time
	stdout, stderr io.Writer
}

func (c outboxCmd) fail(code int, err error) int {
	fmt.Fprintf(c.stderr, "outbox: %s\n", oneLineErr(err))
	return code
}

// oneLineErr keeps an error to one line: staff read it on a small terminal.
func oneLineErr(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

func (c outboxCmd) run(ctx context.Context, args []string) int {
	sub := "status"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	flags := flag.NewFlagSet("outbox "+sub, flag.ContinueOnError)
	flags.SetOutput(c.stderr)
	cfgPath := flags.String("config", os.Getenv(config.EnvConfig), "config `file` (TOML); none means demo mode")
	limit := 0
	if sub == "list" {
		flags.IntVar(&limit, "limit", 20, "show at most `n` items")
	}
	flags.Usage = func() { fmt.Fprint(c.stderr, outboxUsage); printFlags(flags, c.stderr) }
	rest, err := parseInterleaved(flags, args)
	if err != nil {
		return usageExit(err)
	}
	switch {
	case sub != "status" && sub != "list" && sub != "requeue":
		fmt.Fprintf(c.stderr, "outbox: unknown command %q\n", sub)
		flags.Usage()
		return 2
	case sub != "requeue" && len(rest) > 0:
		fmt.Fprintf(c.stderr, "outbox %s: unexpected argument %q\n", sub, rest[0])
		return 2
	case sub == "list" && limit <= 0:
		fmt.Fprintln(c.stderr, "outbox list: --limit must be positive")
		return 2
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return c.fail(2, err)
	}

	dbPath := filepath.Join(cfg.DataDir, "kiosk.db")
	// Looking must not create: a missing database means nothing was queued
	// here yet, not a reason to make an empty one (and maybe a new key).
	if _, err := os.Stat(dbPath); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(c.stdout, "no outbox yet (%s does not exist)\n", dbPath)
		return 0
	}
	key, err := outbox.LoadOrCreateKey(cfg.Outbox.KeyFile, cfg.Demo)
	if errors.Is(err, outbox.ErrKey) {
		return c.fail(2, err) // missing, malformed or open to others: the key file the config names
	} else if err != nil {
		return c.fail(1, err)
	}
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		if errors.Is(err, store.ErrCorrupt) {
			return c.fail(1, fmt.Errorf("%w; the file is left as it is for recovery, copy it before anything else", err))
		}
		return c.fail(1, err)
	}
	defer db.Close()
	ob, err := outbox.Open(ctx, db, key, c.now)
	if err != nil {
		return c.fail(1, err)
	}

	switch sub {
	case "list":
		err = c.list(ctx, ob, limit)
	case "requeue":
		err = c.requeue(ctx, ob, rest)
	default:
		err = c.status(ctx, ob)
	}
	if err != nil {
		return c.fail(1, err)
	}
	return 0
}

func (c outboxCmd) status(ctx context.Context, ob *outbox.Outbox) error {
	st, err := ob.Stats(ctx)
	if err != nil {
		return err
	}
	now := c.now()
	oldest := "none"
	if !st.OldestPending.IsZero() {
		oldest = fmt.Sprintf("%s (%s ago)", stamp(st.OldestPending), age(now, st.OldestPending))
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return fmt.Sprintf("%s (%s ago)", stamp(t), age(now, t))
	}
	w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "pending:\t%d\n", st.Pending)
	fmt.Fprintf(w, "delivered:\t%d\t(%d purged after retention)\n", st.Delivered, st.Purged)
	fmt.Fprintf(w, "dead:\t%d\n", st.Dead)
	if n := st.RecordsPending + st.RecordsDelivered + st.RecordsDead; n > 0 {
		fmt.Fprintf(w, "failed sessions:\t%d\t(of the above: %d pending, %d delivered, %d dead)\n",
			n, st.RecordsPending, st.RecordsDelivered, st.RecordsDead)
	}
	fmt.Fprintf(w, "oldest pending:\t%s\n", oldest)
	fmt.Fprintf(w, "last sync attempt:\t%s\n", when(st.LastAttempt))
	fmt.Fprintf(w, "last success:\t%s\n", when(st.LastSuccess))
	if st.Dead > 0 {
		fmt.Fprintf(w, "\n%d dead letter(s): see 'signkiosk outbox list', then 'signkiosk outbox requeue'\n", st.Dead)
	}
	return w.Flush()
}

func (c outboxCmd) list(ctx context.Context, ob *outbox.Outbox, limit int) error {
	items, err := ob.List(ctx, limit)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		fmt.Fprintln(c.stdout, "outbox is empty")
		return nil
	}
	w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tKIND\tSTATE\tATTEMPTS\tSIZE\tCREATED\tLAST ERROR")
	for _, it := range items {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", it.ID, it.Kind, it.State, it.Attempts, it.Size, stamp(it.CreatedAt), it.LastError)
	}
	return w.Flush()
}

func (c outboxCmd) requeue(ctx context.Context, ob *outbox.Outbox, ids []string) error {
	n, err := ob.Requeue(ctx, ids...)
	if err != nil {
		return err
	}
	switch {
	case len(ids) == 0:
		fmt.Fprintf(c.stdout, "requeued %d dead item(s)\n", n)
	case n < len(ids):
		// Unknown ids and ids that are not dead are skipped, not errors:
		// requeue is safe to run twice.
		fmt.Fprintf(c.stdout, "requeued %d of %d (the others are unknown or not dead)\n", n, len(ids))
	default:
		fmt.Fprintf(c.stdout, "requeued %d\n", n)
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

// age rounds for reading: "3h25m", "2d4h".
func age(now, t time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	if d >= 48*time.Hour {
		return fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
	}
	if d < time.Minute {
		return d.Round(time.Second).String()
	}
	return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
}
