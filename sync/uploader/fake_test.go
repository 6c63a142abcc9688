package uploader

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"sync"
	"time"
)

// clock is the injected time: tests move it, nothing sleeps.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fakeState int

const (
	statePending fakeState = iota
	stateDelivered
	stateDead
)

type fakeItem struct {
	Item
	zip      []byte
	state    fakeState
	next     time.Time
	lastErr  string
	seq      int
	marks    int // Mark calls; each is atomic, like one SQL statement
	failNext error
}

// fakeQueue is an in-memory outbox implementing Queue, with the same
// semantics as the SQLite one (attempts+1 on MarkFailed, oldest first).
type fakeQueue struct {
	mu      sync.Mutex
	now     func() time.Time
	items   map[string]*fakeItem
	seq     int
	syncs   []bool
	syncAt  []time.Time
	lastOK  time.Time
	dueErr  error
	payErr  map[string]error
	dueCall int
}

func newFakeQueue(now func() time.Time) *fakeQueue {
	return &fakeQueue{now: now, items: map[string]*fakeItem{}, payErr: map[string]error{}}
}

// add enqueues n random packages of size bytes and returns their ids.
func (q *fakeQueue) add(n, size int) []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var ids []string
	for range n {
		zip := make([]byte, size)
		_, _ = rand.Read(zip)
		sum := sha256.Sum256(zip)
		q.seq++
		id := fmt.Sprintf("pkg-%04d", q.seq)
		q.items[id] = &fakeItem{Item: Item{ID: id, Digest: hex.EncodeToString(sum[:]), Size: int64(size)},
			zip: zip, next: q.now(), seq: q.seq}
		ids = append(ids, id)
	}
	return ids
}

func (q *fakeQueue) Due(ctx context.Context, limit int) ([]Item, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.dueCall++
	if q.dueErr != nil {
		return nil, q.dueErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var due []*fakeItem
	now := q.now()
	for _, it := range q.items {
		if it.state == statePending && !it.next.After(now) {
			due = append(due, it)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].seq < due[j].seq })
	var out []Item
	for i, it := range due {
		if i == limit {
			break
		}
		out = append(out, it.Item)
	}
	return out, nil
}

func (q *fakeQueue) AppendPayload(ctx context.Context, dst []byte, id string) ([]byte, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.payErr[id]; err != nil {
		return nil, err
	}
	it, ok := q.items[id]
	if !ok {
		return nil, fmt.Errorf("no package %s", id)
	}
	return append(dst, it.zip...), nil
}

func (q *fakeQueue) MarkDelivered(ctx context.Context, ids ...string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, id := range ids {
		it := q.items[id]
		it.state = stateDelivered
		it.marks++
	}
	return nil
}

func (q *fakeQueue) MarkFailed(ctx context.Context, id, lastErr string, next time.Time, dead bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	it := q.items[id]
	if it.failNext != nil {
		return it.failNext
	}
	it.Attempts++
	it.lastErr, it.next = lastErr, next
	if dead {
		it.state = stateDead
	}
	it.marks++
	return nil
}

func (q *fakeQueue) RecordSync(ctx context.Context, ok bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.syncs = append(q.syncs, ok)
	q.syncAt = append(q.syncAt, q.now())
	if ok {
		q.lastOK = q.now()
	}
	return nil
}

func (q *fakeQueue) LastSuccess(ctx context.Context) (time.Time, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.lastOK, nil
}

func (q *fakeQueue) get(id string) fakeItem {
	q.mu.Lock()
	defer q.mu.Unlock()
	return *q.items[id]
}

func (q *fakeQueue) count(s fakeState) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, it := range q.items {
		if it.state == s {
			n++
		}
	}
	return n
}
