package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"almatel.kz/signkiosk/sync/headoffice"
)

// almaty is Kazakhstan's one time zone (UTC+5 since March 2024): a --since
// day is a day there, where the offices are.
var almaty = time.FixedZone("UTC+5", 5*3600)

// runFailed handles "signkiosk headoffice failed": the sessions that ended
// before signing, as their kiosks recorded and signed them. Exit 0 listed
// (none is fine), 1 the index cannot be read, 2 bad usage.
func runFailed(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return failedCmd{now: time.Now, stdout: stdout, stderr: stderr}.run(ctx, args)
}

type failedCmd struct {
	now            func() time.Time
	stdout, stderr io.Writer
}

func (c failedCmd) run(ctx context.Context, args []string) int {
	var since, office, kiosk, reason string
	var limit int
	var asJSON bool
	var st storeFlags
	dataDir, _, code := kioskArgs("failed", args, 0, c.stderr, &st, func(fs *flag.FlagSet) {
		fs.StringVar(&since, "since", "", "only sessions ended since `when`: a day (2026-03-01, UTC+5), an RFC 3339 time, or a span back from now (24h, 7d)")
		fs.StringVar(&office, "office", "", "only this office `code`")
		fs.StringVar(&kiosk, "kiosk", "", "only this kiosk `id`")
		fs.StringVar(&reason, "reason", "", "only this end `reason` (biometric_failed, provider_refused, cancelled, …)")
		fs.IntVar(&limit, "limit", 100, "at most `n` sessions, newest first (0: all)")
		fs.BoolVar(&asJSON, "json", false, "print each signed record's contents as one JSON line")
	})
	if code != 0 {
		return helpExit(code)
	}
	f := headoffice.FailedFilter{Office: office, Kiosk: kiosk, Reason: reason, Limit: limit}
	if since != "" {
		t, err := parseSince(since, c.now())
		if err != nil {
			fmt.Fprintf(c.stderr, "headoffice failed: --since: %v\n", err)
			return 2
		}
		f.Since = t
	}
	if limit < 0 {
		fmt.Fprintln(c.stderr, "headoffice failed: --limit must not be negative")
		return 2
	}
	// Looking must not make an empty head office where none is.
	if path, ok := st.exists(dataDir); !ok {
		fmt.Fprintf(c.stderr, "headoffice failed: no head office index at %s\n", path)
		return 1
	}
	db, err := st.openIndex(ctx, dataDir)
	if err != nil {
		fmt.Fprintf(c.stderr, "headoffice failed: %v\n", err)
		return 1
	}
	defer db.Close()
	list, err := db.FailedSessions(ctx, f)
	if err != nil {
		fmt.Fprintf(c.stderr, "headoffice failed: %v\n", err)
		return 1
	}
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		for _, s := range list {
			if err := enc.Encode(s.Record); err != nil {
				fmt.Fprintf(c.stderr, "headoffice failed: %v\n", err)
				return 1
			}
		}
		return 0
	}
	if len(list) == 0 {
		fmt.Fprintln(c.stdout, "no failed sessions")
		return 0
	}
	w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ENDED\tOFFICE\tKIOSK\tREASON\tSTEP\tERROR\tATTEMPTS\tTOOK\tTICKET\tORDER\tSTAFF")
	for _, s := range list {
		r := s.Record
		errCode := r.Error
		if errCode == "" {
			errCode = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", stamp(r.EndedAt), r.Office, r.Kiosk, r.Reason, r.Step, errCode,
			len(r.Biometrics), r.EndedAt.Sub(r.StartedAt).Round(time.Second), r.TicketID, r.OrderID, r.Staff)
	}
	if err := w.Flush(); err != nil {
		return 1
	}
	more := ""
	if limit > 0 && len(list) == limit {
		more = fmt.Sprintf(" (the newest %d; --limit 0 shows all)", limit)
	}
	fmt.Fprintf(c.stdout, "%d failed session(s)%s\n", len(list), more)
	return 0
}

// parseSince reads --since: a day (midnight UTC+5), an RFC 3339 time, or a
// span back from now ("36h", "7d").
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02", s, almaty); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if days, err := strconv.Atoi(n); err == nil && days >= 0 {
			return now.Add(-time.Duration(days) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a day (2026-03-01), an RFC 3339 time or a span (24h, 7d)", s)
}
