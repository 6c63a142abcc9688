package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/sync/outbox"
)

// BenchmarkMarkDelivered explains the kiosk's sync figure: it marks 200
// queued packages delivered, one by one on one connection with WAL
// auto-checkpoints off, and reports how much WAL each mark writes and how
// long it takes, for a small and a 500 KB payload. A mark that rewrote only
// the metadata would write the same few KB whatever the payload's size.
func BenchmarkMarkDelivered(b *testing.B) {
	for _, c := range []struct {
		name string
		size int
	}{{"5KB", 5 << 10}, {"500KB", bodySize}} {
		b.Run(c.name, func(b *testing.B) {
			const n = 200
			ctx := context.Background()
			var walPerMark, msPerMark float64
			rounds := 0
			for b.Loop() {
				b.StopTimer()
				dir := b.TempDir()
				path := filepath.Join(dir, "kiosk.db")
				db, err := store.Open(ctx, path)
				if err != nil {
					b.Fatal(err)
				}
				db.SetMaxOpenConns(1) // so the pragma below holds for every call
				if _, err := db.Exec("PRAGMA wal_autocheckpoint=0"); err != nil {
					b.Fatal(err)
				}
				key, err := outbox.LoadOrCreateKey(filepath.Join(dir, "outbox.key"), true)
				if err != nil {
					b.Fatal(err)
				}
				ob, err := outbox.Open(ctx, db, key, nil)
				if err != nil {
					b.Fatal(err)
				}
				ids := newIDs(n)
				enqueue(b, ob, n, func(i int) (string, []byte) { return ids[i], body(i)[:c.size] })
				var x, y, z int
				if err := db.QueryRow("PRAGMA wal_checkpoint(TRUNCATE)").Scan(&x, &y, &z); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				for _, id := range ids {
					if err := ob.MarkDelivered(ctx, id); err != nil {
						b.Fatal(err)
					}
				}
				took := time.Since(start)
				b.StopTimer()
				st, err := os.Stat(path + "-wal")
				if err != nil {
					b.Fatal(err)
				}
				walPerMark += float64(st.Size()) / n / 1024
				msPerMark += took.Seconds() * 1000 / n
				rounds++
				db.Close()
				b.StartTimer()
			}
			b.ReportMetric(walPerMark/float64(rounds), "WAL-KB/mark")
			b.ReportMetric(msPerMark/float64(rounds), "ms/mark")
		})
	}
}
