package outbox

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
)

// Kind is what an item carries.
type Kind string

// The kinds: a signed session's package (PUT /v1/packages/{id}), or the
// signed record of a session that ended before signing (PUT
// /v1/failed-sessions/{id}, app/failedsession).
const (
	KindPackage       Kind = "package"
	KindFailedSession Kind = "failed_session"
)

// EnqueueFailedSession queues a failed session's signed record (the bytes
// failedsession.Sign made) under its record id: the same states, retries,
// dead letters, encryption at rest (AAD = id) and purge as a package, in
// one durable transaction. The same id with the same bytes again is a
// no-op; other bytes under the id are ErrDuplicate.
func (o *Outbox) EnqueueFailedSession(ctx context.Context, id string, body []byte) error {
	if id == "" || len(body) == 0 {
		return errors.New("outbox: enqueue record: id and body are required")
	}
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:])
	sealed := o.seal(body, id)
	now := o.now().UnixNano()
	err := o.immediate(ctx, func(c *sql.Conn) error {
		var have string
		err := c.QueryRowContext(ctx, `SELECT digest FROM outbox WHERE id = ?`, id).Scan(&have)
		switch {
		case err == nil && have == digest:
			return nil
		case err == nil:
			return ErrDuplicate
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO outbox
			(id, kind, state, digest, size, created_at, attempts, next_attempt_at)
			VALUES (?, 'failed_session', 'pending', ?, ?, ?, 0, ?)`,
			id, digest, len(body), now, now); err != nil {
			return err
		}
		_, err = c.ExecContext(ctx, `INSERT INTO outbox_payloads (id, payload) VALUES (?, ?)`, id, sealed)
		return err
	})
	if err != nil {
		return fmt.Errorf("outbox: enqueue record %s: %w", id, err)
	}
	return nil
}
