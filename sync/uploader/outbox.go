package uploader

import (
	"context"

	"almatel.kz/signkiosk/sync/outbox"
)

// FromOutbox is the SQLite outbox as a Queue.
func FromOutbox(o *outbox.Outbox) Queue { return outboxQueue{o} }

// outboxQueue passes everything through but Due, whose items it narrows.
type outboxQueue struct{ *outbox.Outbox }

func (q outboxQueue) Due(ctx context.Context, limit int) ([]Item, error) {
	items, err := q.Outbox.Due(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Item, len(items))
	for i, it := range items {
		out[i] = Item{ID: it.ID, Digest: it.Digest, Size: it.Size, Attempts: it.Attempts, Kind: it.Kind}
	}
	return out, nil
}
