package headoffice

import (
	"container/list"
	"context"
	"sync"
)

// budget is a weighted semaphore handed out first come, first served, so a
// heavy upload is not starved by a stream of light ones. It counts upload
// slots (weight 1 each) or bytes of memory.
type budget struct {
	mu      sync.Mutex
	size    int64
	used    int64
	peak    int64     // highest used so far, for tests and operators
	waiters list.List // of *waiter, oldest first
}

type waiter struct {
	n     int64
	ready chan struct{} // closed once granted
}

func newBudget(size int64) *budget { return &budget{size: size} }

// acquire takes n (at most size) or fails with ctx's error, holding nothing.
func (b *budget) acquire(ctx context.Context, n int64) error {
	b.mu.Lock()
	if b.waiters.Len() == 0 && b.used+n <= b.size {
		b.take(n)
		b.mu.Unlock()
		return nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	e := b.waiters.PushBack(w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case <-w.ready:
			// Granted while giving up: hand it back.
			b.used -= n
		default:
			b.waiters.Remove(e)
		}
		// Either way those behind may fit now.
		b.grant()
		b.mu.Unlock()
		return ctx.Err()
	}
}

// release gives back n taken by acquire.
func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.grant()
	b.mu.Unlock()
}

func (b *budget) take(n int64) {
	b.used += n
	b.peak = max(b.peak, b.used)
}

// grant wakes waiters in order while the oldest fits. b.mu is held.
func (b *budget) grant() {
	for e := b.waiters.Front(); e != nil; e = b.waiters.Front() {
		w := e.Value.(*waiter)
		if b.used+w.n > b.size {
			return
		}
		b.take(w.n)
		b.waiters.Remove(e)
		close(w.ready)
	}
}

// state reports what is taken, the highest ever taken and how many wait.
func (b *budget) state() (used, peak int64, waiting int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used, b.peak, b.waiters.Len()
}
