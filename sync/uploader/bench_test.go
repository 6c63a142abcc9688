package uploader

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// sink is a head office that reads the body and answers 201.
func sink() *httptest.Server {
	return httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
}

const benchPackages, benchSize = 200, 500 << 10

// BenchmarkRunOnce syncs 200 × 500 KB from the in-memory queue over loopback
// TLS; compare with BenchmarkRawPUT, plain PUTs of the same bodies.
func BenchmarkRunOnce(b *testing.B) {
	srv := sink()
	defer srv.Close()
	tlsCfg := srv.Client().Transport.(*http.Transport).TLSClientConfig
	b.SetBytes(benchPackages * benchSize)
	for b.Loop() {
		b.StopTimer()
		q := newFakeQueue(time.Now)
		q.add(benchPackages, benchSize)
		u := New(Config{Queue: q, Client: NewClient(tlsCfg, 4), BaseURL: srv.URL, Concurrency: 4, Log: zerolog.Nop()})
		b.StartTimer()
		rep, err := u.RunOnce(context.Background())
		if err != nil || rep.Delivered != benchPackages {
			b.Fatalf("%+v %v", rep, err)
		}
	}
}

func BenchmarkRawPUT(b *testing.B) {
	srv := sink()
	defer srv.Close()
	client := NewClient(srv.Client().Transport.(*http.Transport).TLSClientConfig, 4)
	body := bytes.Repeat([]byte{7}, benchSize)
	b.SetBytes(benchPackages * benchSize)
	for b.Loop() {
		next := make(chan int)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range next {
					resp, err := client.Do(must(http.NewRequest(http.MethodPut, srv.URL+"/v1/packages/x", bytes.NewReader(body))))
					if err != nil {
						panic(err)
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		}
		for i := range benchPackages {
			next <- i
		}
		close(next)
		wg.Wait()
	}
}

func must(r *http.Request, err error) *http.Request {
	if err != nil {
		panic(err)
	}
	return r
}
