package bench

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"almatel.kz/signkiosk/app/pack/packtest"
	"almatel.kz/signkiosk/sync/headoffice"
)

// BenchmarkSync1000 is issue 4's side-by-side figure: 1,000 random 500 KB
// bodies over loopback mTLS to one receiver (digestSink), once by a minimal
// Go client doing plain PUTs and once by the kiosk (enqueued into a fresh
// outbox first, not timed; then uploader.RunOnce until all are delivered,
// which reads and decrypts each payload from SQLite and marks it
// delivered). A third contestant is the raw client that first AES-GCM-opens
// each body from a sealed copy (same cipher and key size as the outbox), to
// show what encryption at rest alone costs on this machine. Each iteration
// is one round of all three, in rotating order; run it with -benchtime 3x
// -v for three rounds and a line per round.
func BenchmarkSync1000(b *testing.B) {
	const n = 1000
	l := newLink(b)
	srv := serve(b, l, digestSink())
	bodies := make([][]byte, n)
	digests := make([]string, n)
	for i := range bodies {
		bodies[i] = body(i)
		digests[i] = contentDigest(bodies[i])
	}
	gcm := newGCM(b)
	sealed := make([][]byte, n)
	for i := range bodies {
		nonce := make([]byte, gcm.NonceSize())
		rand.Read(nonce)
		sealed[i] = gcm.Seal(nonce, nonce, bodies[i], []byte(strconv.Itoa(i)))
	}
	openBody := func(buf []byte, i int) []byte {
		ns := gcm.NonceSize()
		out, err := gcm.Open(buf[:0], sealed[i][:ns], sealed[i][ns:], []byte(strconv.Itoa(i)))
		if err != nil {
			panic(err)
		}
		return out
	}
	total := int64(n * bodySize)
	var sumRaw, sumDec, sumKiosk float64
	round := 0
	for b.Loop() {
		b.StopTimer()
		ob := newOutbox(b, b.TempDir())
		ids := newIDs(n)
		t0 := time.Now()
		enqueue(b, ob, n, func(i int) (string, []byte) { return ids[i], bodies[i] })
		enq := time.Since(t0)
		rawIDs, decIDs := newIDs(n), newIDs(n)
		runtime.GC()
		b.StartTimer()

		var raw, dec, kiosk time.Duration
		var mem *memSampler
		conns0 := srv.conns.Load()
		runs := []func(){
			func() { raw = rawPUT(b, l.client, srv.URL, rawIDs, bodies, digests) },
			func() { dec = rawPUTWith(b, l.client, srv.URL, decIDs, openBody, digests) },
			func() {
				mem = startSampler()
				_, kiosk = syncAll(b, ob, l.client, srv.URL, n)
				mem.Stop()
			},
		}
		for k := range runs {
			runs[(k+round)%len(runs)]()
		}
		r, d, k := mbps(total, raw), mbps(total, dec), mbps(total, kiosk)
		sumRaw += r
		sumDec += d
		sumKiosk += k
		round++
		b.Logf("round %d: raw PUT %.0f MB/s (%v), raw PUT after AES-GCM open %.0f MB/s (%v, %.0f%%), kiosk sync %.0f MB/s (%v), kiosk/raw %.0f%%; enqueue of %d took %v (not timed); "+
			"kiosk peak HeapInuse %.0f MiB (+%.0f over the %.0f MiB before, which holds the raw clients' 1 GB of bodies); new connections this round %d",
			round, r, raw.Round(time.Millisecond), d, dec.Round(time.Millisecond), 100*d/r, k, kiosk.Round(time.Millisecond), 100*k/r, n, enq.Round(time.Millisecond),
			mib(mem.maxHeapInuse), mib(mem.maxHeapInuse-min(mem.maxHeapInuse, mem.startHeap)), mib(mem.startHeap), srv.conns.Load()-conns0)
	}
	if srv.notH1.Load() != 0 {
		b.Fatalf("%d requests were not HTTP/1.1", srv.notH1.Load())
	}
	b.ReportMetric(sumRaw/float64(round), "raw-MB/s")
	b.ReportMetric(sumDec/float64(round), "raw+open-MB/s")
	b.ReportMetric(sumKiosk/float64(round), "kiosk-MB/s")
	b.ReportMetric(100*sumKiosk/sumRaw, "kiosk/raw-%")
}

// newGCM is AES-256-GCM under a random key, as the outbox seals payloads.
func newGCM(tb testing.TB) cipher.AEAD {
	key := make([]byte, 32)
	rand.Read(key)
	blk, err := aes.NewCipher(key)
	if err != nil {
		tb.Fatal(err)
	}
	gcm, err := cipher.NewGCM(blk)
	if err != nil {
		tb.Fatal(err)
	}
	return gcm
}

// BenchmarkHeadOffice is the real receiver (buffers the body, checks the
// digest, pack.Verify with the kiosk's device key, durable file write with
// fsyncs, index row in its SQLite) fed one real ~100 KB package from
// packtest under 500 fresh ids: by the raw client and by the kiosk's
// outbox + uploader, alternating, same receiver.
func BenchmarkHeadOffice(b *testing.B) {
	// "small" is packtest's package as it comes (a tiny PDF); "500KB" pads
	// its PDF with random bytes (incompressible, like a real PDF's
	// streams) to a package of about 500 KB, the size issue 4 names.
	for _, c := range []struct {
		name string
		pad  int
	}{{"small", 0}, {"500KB", bodySize - 6<<10}} {
		b.Run(c.name, func(b *testing.B) { benchHeadOffice(b, c.pad) })
	}
}

func benchHeadOffice(b *testing.B, pad int) {
	const n = 500
	const kioskCN = "ALM-001-K1"
	env := packtest.NewEnv(b)
	pdf := []byte("%PDF-1.7 application\n%")
	if pad > 0 {
		pdf = append(pdf, body(1 << 20)[:pad]...)
	}
	kiosk := env.NewKiosk(b, kioskCN)
	zip := kiosk.Build(b, kiosk.Files(b, env.Sign(b, "900101300123", pdf)))
	dir := b.TempDir()
	ctx := context.Background()
	idx, err := headoffice.OpenIndex(ctx, filepath.Join(dir, "index.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { idx.Close() })
	if err := idx.Enrol(ctx, kiosk.Cert(b), time.Now()); err != nil {
		b.Fatal(err)
	}
	ho, err := headoffice.New(headoffice.Config{
		Storage: &headoffice.FileStorage{Dir: filepath.Join(dir, "packages")}, Index: idx, Log: zerolog.Nop(),
		LinkKey:    []byte("0123456789abcdef0123456789abcdef"),
		Roots:      env.Roots(),
		KioskRoots: env.KioskRoots(),
	})
	if err != nil {
		b.Fatal(err)
	}
	l := newLink(b)
	srv := serve(b, l, ho.Handler())
	// Head office files a package only under the id its manifest names:
	// each id gets the session packed under it (packtest.Refile).
	packed := func(ids []string) ([][]byte, []string) {
		bodies, digests := make([][]byte, len(ids)), make([]string, len(ids))
		for i, id := range ids {
			bodies[i] = packtest.Refile(b, zip, kiosk, id)
			digests[i] = contentDigest(bodies[i])
		}
		return bodies, digests
	}
	total := int64(n * len(zip))
	var sumRaw, sumKiosk float64
	round := 0
	for b.Loop() {
		b.StopTimer()
		ob := newOutbox(b, b.TempDir())
		ids := newIDs(n)
		queued, _ := packed(ids)
		enqueue(b, ob, n, func(i int) (string, []byte) { return ids[i], queued[i] })
		rawIDs := newIDs(n)
		bodies, digests := packed(rawIDs)
		b.StartTimer()
		var raw, kiosk time.Duration
		if round%2 == 0 {
			raw = rawPUT(b, l.client, srv.URL, rawIDs, bodies, digests)
			_, kiosk = syncAll(b, ob, l.client, srv.URL, n)
		} else {
			_, kiosk = syncAll(b, ob, l.client, srv.URL, n)
			raw = rawPUT(b, l.client, srv.URL, rawIDs, bodies, digests)
		}
		r, k := mbps(total, raw), mbps(total, kiosk)
		sumRaw += r
		sumKiosk += k
		round++
		b.Logf("round %d: package %d bytes; raw PUT %.1f MB/s (%.0f packages/s), kiosk sync %.1f MB/s (%.0f packages/s), kiosk/raw %.0f%%",
			round, len(zip), r, float64(n)/raw.Seconds(), k, float64(n)/kiosk.Seconds(), 100*k/r)
	}
	b.ReportMetric(sumRaw/float64(round), "raw-MB/s")
	b.ReportMetric(sumKiosk/float64(round), "kiosk-MB/s")
	b.ReportMetric(100*sumKiosk/sumRaw, "kiosk/raw-%")
	b.ReportMetric(float64(len(zip)), "package-bytes")
}

// BenchmarkSyncMemory syncs n × 500 KB from a fresh outbox to digestSink
// while sampling runtime.MemStats every 100 ms, for n = 1,000 and 10,000.
// Bodies are made on the fly while enqueueing, so nothing but the outbox
// and the sync holds them. It writes 0.5 + 5 GB under the temp dir, so it
// only runs with SIGNKIOSK_BENCH_10K=1 (SIGNKIOSK_BENCH_10K_N overrides the
// large n); run it with -benchtime 1x.
func BenchmarkSyncMemory(b *testing.B) {
	if os.Getenv("SIGNKIOSK_BENCH_10K") != "1" {
		b.Skip("set SIGNKIOSK_BENCH_10K=1 to run (writes ~5.5 GB under the temp dir)")
	}
	large := 10000
	if s := os.Getenv("SIGNKIOSK_BENCH_10K_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			b.Fatalf("SIGNKIOSK_BENCH_10K_N=%q", s)
		}
		large = v
	}
	for _, n := range []int{1000, large} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			l := newLink(b)
			srv := serve(b, l, digestSink())
			for b.Loop() {
				b.StopTimer()
				ob := newOutbox(b, b.TempDir())
				ids := newIDs(n)
				t0 := time.Now()
				enqueue(b, ob, n, func(i int) (string, []byte) { return ids[i], body(i) })
				enq := time.Since(t0)
				rssBefore := rss()
				b.StartTimer()
				mem := startSampler()
				_, took := syncAll(b, ob, l.client, srv.URL, n)
				mem.Stop()
				runtime.GC()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				b.Logf("n=%d: enqueue %v (%.1f ms/package, not timed); sync %v = %.0f MB/s; %d samples: peak HeapInuse %.1f MiB (%.1f before), peak Sys %.1f MiB (%.1f before); peak RSS %.1f MiB (%.1f at the end of enqueue); HeapInuse after GC %.1f MiB",
					n, enq.Round(time.Millisecond), float64(enq.Milliseconds())/float64(n), took.Round(time.Millisecond), mbps(int64(n*bodySize), took),
					mem.samples, mib(mem.maxHeapInuse), mib(mem.startHeap), mib(mem.maxSys), mib(mem.startSys), mib(mem.maxRSS), mib(rssBefore), mib(after.HeapInuse))
				b.ReportMetric(mib(mem.maxHeapInuse), "peak-HeapInuse-MiB")
				b.ReportMetric(mib(mem.maxSys), "peak-Sys-MiB")
				b.ReportMetric(mib(mem.maxRSS), "peak-RSS-MiB")
				b.ReportMetric(mib(after.HeapInuse), "after-GC-HeapInuse-MiB")
				b.ReportMetric(mbps(int64(n*bodySize), took), "MB/s")
			}
		})
	}
}
