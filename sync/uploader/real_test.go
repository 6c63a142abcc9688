package uploader

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"almatel.kz/signkiosk/app/store"
	"almatel.kz/signkiosk/sync/outbox"
)

// testQueue is what the scenarios inspect, over the real outbox or the fake.
type testQueue interface {
	Queue
	add(n, size int) []string
	get(id string) fakeItem
	count(s fakeState) int
	syncList() []bool
}

func (q *fakeQueue) syncList() []bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]bool(nil), q.syncs...)
}

// realQueue is the SQLite outbox (app/store.Open in a temp dir) seen through
// FromOutbox, recording the calls the scenarios check.
type realQueue struct {
	Queue
	ob    *outbox.Outbox
	now   func() time.Time
	mu    sync.Mutex
	seq   int
	zips  map[string][]byte
	marks map[string]int
	syncs []bool
}

func newRealQueue(t *testing.T, now func() time.Time) *realQueue {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "kiosk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	key, err := outbox.LoadOrCreateKey(filepath.Join(dir, "outbox.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.Open(ctx, db, key, now)
	if err != nil {
		t.Fatal(err)
	}
	return &realQueue{Queue: FromOutbox(ob), ob: ob, now: now, zips: map[string][]byte{}, marks: map[string]int{}}
}

func (q *realQueue) add(n, size int) []string {
	var ids []string
	for range n {
		zip := make([]byte, size)
		_, _ = rand.Read(zip)
		q.mu.Lock()
		q.seq++
		id := fmt.Sprintf("pkg-%04d", q.seq)
		q.zips[id] = zip
		q.mu.Unlock()
		if err := q.ob.Enqueue(context.Background(), outbox.Package{ID: id, TicketID: "T-" + id, SignedAt: q.now(), Zip: zip}); err != nil {
			panic(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func (q *realQueue) MarkDelivered(ctx context.Context, ids ...string) error {
	err := q.Queue.MarkDelivered(ctx, ids...)
	if err == nil {
		q.mu.Lock()
		for _, id := range ids {
			q.marks[id]++
		}
		q.mu.Unlock()
	}
	return err
}

func (q *realQueue) MarkFailed(ctx context.Context, id, lastErr string, next time.Time, dead bool) error {
	err := q.Queue.MarkFailed(ctx, id, lastErr, next, dead)
	if err == nil {
		q.mu.Lock()
		q.marks[id]++
		q.mu.Unlock()
	}
	return err
}

func (q *realQueue) RecordSync(ctx context.Context, ok bool) error {
	q.mu.Lock()
	q.syncs = append(q.syncs, ok)
	q.mu.Unlock()
	return q.Queue.RecordSync(ctx, ok)
}

func (q *realQueue) syncList() []bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]bool(nil), q.syncs...)
}

func (q *realQueue) list() []outbox.Item {
	items, err := q.ob.List(context.Background(), 0)
	if err != nil {
		panic(err)
	}
	return items
}

func stateOf(s outbox.State) fakeState {
	switch s {
	case outbox.Delivered:
		return stateDelivered
	case outbox.Dead:
		return stateDead
	}
	return statePending
}

func (q *realQueue) get(id string) fakeItem {
	for _, it := range q.list() {
		if it.ID == id {
			q.mu.Lock()
			defer q.mu.Unlock()
			return fakeItem{Item: Item{ID: it.ID, Digest: it.Digest, Size: it.Size, Attempts: it.Attempts},
				zip: q.zips[id], state: stateOf(it.State), next: it.NextAttemptAt, lastErr: it.LastError, marks: q.marks[id]}
		}
	}
	panic("no item " + id)
}

func (q *realQueue) count(s fakeState) int {
	n := 0
	for _, it := range q.list() {
		if stateOf(it.State) == s {
			n++
		}
	}
	return n
}
