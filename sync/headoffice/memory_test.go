package headoffice

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/http"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/pack/packtest"
)

// heapInUse is the Go heap's in-use bytes (live objects plus the garbage
// not yet swept), read without stopping the world.
func heapInUse(s []metrics.Sample) uint64 {
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64()
}

// peakSampler samples heapInUse every 200 µs until stopped.
func peakSampler() (stop func() uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		for {
			if v := heapInUse(s); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// Eight large uploads at once, sent faster than they can be verified: what
// is admitted never passes MaxMemory, and with the soft memory limit the
// headoffice command sets the heap stays within MaxMemory plus a margin
// for the test's own clients, TLS and buffers. Before bodies were spooled
// and admitted by weight, the same run grew the heap by 79 MiB (the bound
// then documented, 4 × MaxSize, was 32 MiB).
func TestUploadMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads 8 × 7.5 MiB")
	}
	const maxSize = 8 << 20
	env := packtest.NewEnv(t)
	// The card embeds the PDF again: a 3.75 MiB PDF makes a 7.5 MiB package.
	pdf := make([]byte, 15<<18)
	copy(pdf, "%PDF-1.7 application\n%")
	rand.Read(pdf[32:]) // incompressible, as a real PDF's streams are
	s := env.Sign(t, testIIN, pdf)
	files := packtest.Files(t, s)
	pdf = nil
	// Each upload its own kiosk (so per-kiosk limits refuse none) and its
	// own package: head office files a package only under its own id, by
	// the kiosk that signed it.
	const n = 8
	kiosks := make([]packtest.Kiosk, n)
	ids := make([]string, n)
	bigs := make([][]byte, n)
	for i := range n {
		kiosks[i] = env.NewKiosk(t, fmt.Sprintf("ALM-001-K%d", i+1))
		ids[i] = fmt.Sprintf("0b7f3c2e-5a61-4d8e-9c1a-2f3e4d5c6b%02x", i)
		f := files
		f.PackageID = ids[i]
		f.Evidence = packtest.Evidence(t, s, func(m map[string]any) { m["kiosk"] = kiosks[i].ID })
		bigs[i] = kiosks[i].Build(t, f)
		if len(bigs[i]) > maxSize {
			t.Fatalf("package %d bytes, over the test's MaxSize", len(bigs[i]))
		}
	}
	f := newFixture(t, options{roots: env.Roots(), kioskRoots: env.KioskRoots(), enrol: kiosks, maxSize: maxSize, maxInFlight: 4})
	clients := make([]*http.Client, n)
	for i := range clients {
		// Each its own kiosk, so per-kiosk limits do not refuse any.
		clients[i] = f.kioskClient(f.pki, fmt.Sprintf("ALM-001-K%d", i+1))
	}
	digests := make([]string, n)
	for i, b := range bigs {
		digests[i] = ContentDigest(b)
	}
	runtime.GC()
	ms := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	base := heapInUse(ms)
	// As the headoffice command does, less its headroom: the test process
	// holds little besides what base counts.
	const margin = 24 << 20
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(int64(base) + f.srv.cfg.MaxMemory + margin/2))
	stop := peakSampler()
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodPut, f.api.URL+"/v1/packages/"+ids[i], bytes.NewReader(bigs[i]))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Digest", digests[i])
			resp, err := clients[i].Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	peak := stop()
	for i, c := range codes {
		if c != http.StatusCreated {
			t.Errorf("upload %d: %d", i, c)
		}
	}
	bound := f.srv.cfg.MaxMemory
	_, admitted, _ := f.srv.mem.state()
	if admitted > bound {
		t.Errorf("admitted %d bytes at once, over MaxMemory %d", admitted, bound)
	}
	grew := int64(peak) - int64(base)
	t.Logf("package %d bytes; admitted at most %.1f MiB; heap in use %d MiB before, peak %d MiB (+%.1f MiB); bound %.1f MiB + margin %d MiB",
		len(bigs[0]), mib(admitted), base>>20, peak>>20, mib(grew), mib(bound), margin>>20)
	if grew > bound+margin {
		t.Errorf("heap grew by %.1f MiB during the uploads, over the %.1f MiB bound + %d MiB margin", mib(grew), mib(bound), margin>>20)
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
