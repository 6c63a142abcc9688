// Package outbox is the kiosk's durable queue of signed packages (and of
// the signed records of sessions that ended before signing, record.go), in
// the kiosk's SQLite database (opened by app/store: WAL, synchronous=FULL). A
// package is enqueued in the same transaction that records its session as
// signed, so once "Done" shows nothing can lose it. Payloads are encrypted at
// rest with AES-256-GCM; delivered payloads are purged after a retention
// period while their metadata stays. The database never holds a password, a
// code or a camera frame: only encrypted ZIPs and their metadata.
package outbox

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

var (
	// ErrKey means the payload key is missing, malformed, too widely
	// readable, or not the key this database was made with.
	ErrKey = errors.New("outbox key")
	// ErrNotFound means no such package, or its payload was purged.
	ErrNotFound = errors.New("outbox: not found")
	// ErrDuplicate means the id (or the ticket) is already queued with a
	// different package: an alarm, never overwritten.
	ErrDuplicate = errors.New("outbox: already holds a different package under this id")
	// ErrNewerSchema means the database was written by a newer build.
	ErrNewerSchema = errors.New("outbox: database schema is newer than this build")
	// ErrPayloadDamaged means a payload's stored bytes do not authenticate
	// under the key that opened the key check: the bytes changed on disk.
	// Retrying cannot mend them.
	ErrPayloadDamaged = errors.New("payload damaged")
)

// State is an item's place in delivery.
type State string

// The states: waiting (or retrying), held by head office, given up on
// until staff requeue it.
const (
	Pending   State = "pending"
	Delivered State = "delivered"
	Dead      State = "dead"
)

// maxLastError bounds the stored error text; it is for staff, not a log.
const maxLastError = 500

// keyCheck is encrypted at first open and decrypted at every later one, so a
// wrong key fails at start rather than at the first upload in the night.
const (
	keyCheckName  = "key_check"
	keyCheckPlain = "signkiosk outbox key check v1"
)

// Outbox is safe for concurrent use; SQLite serialises the writers.
type Outbox struct {
	db  *sql.DB
	gcm cipher.AEAD
	now func() time.Time
}

// Open uses db (from app/store.Open), applies the embedded migrations and
// checks key against the database's key-check row. now is the clock (nil:
// time.Now).
func Open(ctx context.Context, db *sql.DB, key []byte, now func() time.Time) (*Outbox, error) {
	if db == nil {
		return nil, errors.New("outbox: nil database")
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: need %d bytes, got %d", ErrKey, KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	if now == nil {
		now = time.Now
	}
	o := &Outbox{db: db, gcm: gcm, now: now}
	if err := o.migrate(ctx); err != nil {
		return nil, fmt.Errorf("outbox: migrate: %w", err)
	}
	if err := o.checkKey(ctx); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *Outbox) checkKey(ctx context.Context) error {
	var sealed []byte
	err := o.db.QueryRowContext(ctx, `SELECT v FROM outbox_meta WHERE k = ?`, keyCheckName).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		// First open: store the check. OR IGNORE and read back, so of two
		// processes opening a fresh database with different keys one fails.
		if _, err := o.db.ExecContext(ctx, `INSERT OR IGNORE INTO outbox_meta (k, v) VALUES (?, ?)`,
			keyCheckName, o.seal([]byte(keyCheckPlain), keyCheckName)); err != nil {
			return fmt.Errorf("outbox: store key check: %w", err)
		}
		err = o.db.QueryRowContext(ctx, `SELECT v FROM outbox_meta WHERE k = ?`, keyCheckName).Scan(&sealed)
	}
	if err != nil {
		return fmt.Errorf("outbox: read key check: %w", err)
	}
	if p, err := o.open(nil, sealed, keyCheckName); err != nil || string(p) != keyCheckPlain {
		return fmt.Errorf("%w: the key does not match this database (wrong or replaced key file)", ErrKey)
	}
	return nil
}

// seal is nonce‖ciphertext, with aad bound in so a payload cannot be moved
// to another row unnoticed.
func (o *Outbox) seal(plain []byte, aad string) []byte {
	ns := o.gcm.NonceSize()
	out := make([]byte, ns, ns+len(plain)+o.gcm.Overhead())
	if _, err := rand.Read(out); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return o.gcm.Seal(out, out[:ns], plain, []byte(aad))
}

// open appends the plaintext of sealed to dst.
func (o *Outbox) open(dst, sealed []byte, aad string) ([]byte, error) {
	ns := o.gcm.NonceSize()
	if len(sealed) < ns+o.gcm.Overhead() {
		return nil, errors.New("sealed value too short")
	}
	return o.gcm.Open(dst, sealed[:ns], sealed[ns:], []byte(aad))
}

// immediate runs fn in a BEGIN IMMEDIATE transaction on one connection: the
// write lock is taken up front (waiting out the busy timeout), so a
// read-then-write transaction never fails half-way with SQLITE_BUSY.
func (o *Outbox) immediate(ctx context.Context, fn func(c *sql.Conn) error) error {
	c, err := o.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	// Commit and rollback must finish even when ctx ends meanwhile.
	bg := context.WithoutCancel(ctx)
	err = fn(c)
	if err == nil {
		if _, err = c.ExecContext(bg, "COMMIT"); err == nil {
			return nil
		}
	}
	if _, rerr := c.ExecContext(bg, "ROLLBACK"); rerr != nil && !strings.Contains(rerr.Error(), "no transaction") {
		// Never hand a connection with an open transaction back to the pool.
		c.Raw(func(any) error { return driver.ErrBadConn })
	}
	return err
}

// Package is one signed session's ZIP.
type Package struct {
	ID, TicketID string
	SignedAt     time.Time
	Zip          []byte
}

// Enqueue records the session as signed and queues its package in one
// transaction. The same id with the same ZIP again is a no-op (a retry after
// a crash); another ZIP under the id, or another package for the ticket, is
// ErrDuplicate.
func (o *Outbox) Enqueue(ctx context.Context, p Package) error {
	if p.ID == "" || p.TicketID == "" || len(p.Zip) == 0 {
		return errors.New("outbox: enqueue: id, ticket id and zip are required")
	}
	sum := sha256.Sum256(p.Zip)
	digest := hex.EncodeToString(sum[:])
	sealed := o.seal(p.Zip, p.ID) // outside the write lock: encryption is the slow part
	now := o.now().UnixNano()
	err := o.immediate(ctx, func(c *sql.Conn) error {
		var have string
		err := c.QueryRowContext(ctx, `SELECT digest FROM outbox WHERE id = ?`, p.ID).Scan(&have)
		switch {
		case err == nil && have == digest:
			return nil
		case err == nil:
			return ErrDuplicate
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO outbox
			(id, state, digest, size, created_at, attempts, next_attempt_at)
			VALUES (?, 'pending', ?, ?, ?, 0, ?)`,
			p.ID, digest, len(p.Zip), now, now); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO outbox_payloads (id, payload) VALUES (?, ?)`, p.ID, sealed); err != nil {
			return err
		}
		var other string
		err = c.QueryRowContext(ctx, `SELECT package_id FROM signed_sessions WHERE ticket_id = ?`, p.TicketID).Scan(&other)
		if err == nil {
			return fmt.Errorf("%w (the ticket already has a package)", ErrDuplicate)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = c.ExecContext(ctx, `INSERT INTO signed_sessions (ticket_id, package_id, signed_at) VALUES (?, ?, ?)`,
			p.TicketID, p.ID, p.SignedAt.UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("outbox: enqueue %s: %w", p.ID, err)
	}
	return nil
}

// Item is an item's metadata, never its payload.
type Item struct {
	ID, Digest    string
	Kind          Kind // a package or a failed session's record
	Size          int64
	State         State
	Attempts      int
	NextAttemptAt time.Time
	CreatedAt     time.Time
	LastError     string
	DeliveredAt   time.Time // zero until delivered
}

const itemCols = `id, kind, digest, size, state, attempts, next_attempt_at, created_at, last_error, delivered_at`

func (o *Outbox) items(ctx context.Context, query string, args ...any) ([]Item, error) {
	rows, err := o.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		var next, created int64
		var delivered sql.NullInt64
		if err := rows.Scan(&it.ID, &it.Kind, &it.Digest, &it.Size, &it.State, &it.Attempts, &next, &created, &it.LastError, &delivered); err != nil {
			return nil, err
		}
		it.NextAttemptAt, it.CreatedAt = fromNanos(next), fromNanos(created)
		if delivered.Valid {
			it.DeliveredAt = fromNanos(delivered.Int64)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// sqlLimit maps "no limit" (limit <= 0) to SQLite's -1.
func sqlLimit(limit int) int {
	if limit <= 0 {
		return -1
	}
	return limit
}

// Due lists pending items whose next attempt is due, oldest first; limit <= 0
// means all.
func (o *Outbox) Due(ctx context.Context, limit int) ([]Item, error) {
	items, err := o.items(ctx, `SELECT `+itemCols+` FROM outbox
		WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY created_at, id LIMIT ?`,
		o.now().UnixNano(), sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("outbox: due: %w", err)
	}
	return items, nil
}

// List lists items newest first, without payloads; limit <= 0 means all.
func (o *Outbox) List(ctx context.Context, limit int) ([]Item, error) {
	items, err := o.items(ctx, `SELECT `+itemCols+` FROM outbox ORDER BY created_at DESC, id DESC LIMIT ?`, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("outbox: list: %w", err)
	}
	return items, nil
}

// Payload is the decrypted ZIP; ErrNotFound for an unknown or purged id.
func (o *Outbox) Payload(ctx context.Context, id string) ([]byte, error) {
	return o.AppendPayload(ctx, nil, id)
}

// AppendPayload appends the decrypted ZIP to dst, so the uploader can reuse
// one buffer per worker: a bulk sync then allocates one copy per package
// (the driver's) instead of three. ErrNotFound for an unknown or purged id.
func (o *Outbox) AppendPayload(ctx context.Context, dst []byte, id string) ([]byte, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT payload FROM outbox_payloads WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("outbox: payload %s: %w", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("outbox: payload %s: %w", id, err)
		}
		return nil, fmt.Errorf("payload %s: %w", id, ErrNotFound) // unknown, or purged after delivery
	}
	// RawBytes: the driver's copy is read in place rather than cloned by
	// database/sql (valid until rows.Close; decrypted into dst before that).
	var sealed sql.RawBytes
	if err := rows.Scan(&sealed); err != nil {
		return nil, fmt.Errorf("outbox: payload %s: %w", id, err)
	}
	// GCM authenticates the sealed bytes and binds them to this id (AAD),
	// and the digest was computed from the same bytes when they were sealed:
	// hashing 500 KB again per upload would only cost time.
	// Open proved this outbox's key against the key-check row, and the key
	// never changes after: a payload that fails to open was changed on disk
	// (or moved from another row), not sealed under another key.
	zip, err := o.open(dst, sealed, id)
	if err != nil {
		return nil, fmt.Errorf("outbox: package %s: %w (its stored bytes fail authentication under the right key; the other packages are unaffected)", id, ErrPayloadDamaged)
	}
	return zip, nil
}

// MarkDelivered records that head office holds the packages, all in one
// transaction: the uploader groups the marks of concurrent uploads so they
// share one fsync. Known ids are marked even when some are unknown; those are
// reported as ErrNotFound.
func (o *Outbox) MarkDelivered(ctx context.Context, ids ...string) error {
	var missing []string
	err := o.immediate(ctx, func(c *sql.Conn) error {
		now := o.now().UnixNano()
		for _, id := range ids {
			// The delivering attempt counts (once: marking a delivered
			// item again changes nothing), so a package delivered at the
			// first try lists 1 attempt, not 0.
			res, err := c.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + (state != 'delivered'),
				state = 'delivered', last_error = '', delivered_at = coalesce(delivered_at, ?) WHERE id = ?`, now, id)
			if err := affected(res, err, id); errors.Is(err, ErrNotFound) {
				missing = append(missing, id)
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && len(missing) > 0 {
		err = fmt.Errorf("%s: %w", strings.Join(missing, ", "), ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("outbox: mark delivered: %w", err)
	}
	return nil
}

// MarkFailed counts a failed attempt: pending again at next, or dead. A
// package already delivered stays delivered (a late failure from a racing
// attempt must not undo it).
func (o *Outbox) MarkFailed(ctx context.Context, id, lastErr string, next time.Time, dead bool) error {
	state := Pending
	if dead {
		state = Dead
	}
	err := o.immediate(ctx, func(c *sql.Conn) error {
		var cur State
		err := c.QueryRowContext(ctx, `SELECT state FROM outbox WHERE id = ?`, id).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%s: %w", id, ErrNotFound)
		}
		if err != nil || cur == Delivered {
			return err
		}
		_, err = c.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, state = ?, next_attempt_at = ?, last_error = ?
			WHERE id = ?`, state, next.UnixNano(), oneLine(lastErr), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("outbox: mark failed: %w", err)
	}
	return nil
}

// oneLine keeps the stored error to one bounded line for `signkiosk outbox list`.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxLastError {
		s = string(r[:maxLastError]) + "…"
	}
	return s
}

func affected(res sql.Result, err error, id string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", id, ErrNotFound)
	}
	return nil
}

// Requeue makes dead items pending now with their attempts reset; with no
// ids, every dead item. It returns how many changed; ids that are unknown or
// not dead are skipped.
func (o *Outbox) Requeue(ctx context.Context, ids ...string) (int, error) {
	q := `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE state = 'dead'`
	args := []any{o.now().UnixNano()}
	if len(ids) > 0 {
		q += ` AND id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	res, err := o.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("outbox: requeue: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("outbox: requeue: %w", err)
	}
	return int(n), nil
}

// Purge drops the payloads of items delivered at least retention ago,
// keeping their metadata (id, digest, times) as the record of delivery.
func (o *Outbox) Purge(ctx context.Context, retention time.Duration) (int, error) {
	if retention < 0 {
		return 0, errors.New("outbox: purge: negative retention")
	}
	now := o.now()
	var n int64
	err := o.immediate(ctx, func(c *sql.Conn) error {
		cutoff := now.Add(-retention).UnixNano()
		const due = `state = 'delivered' AND purged_at IS NULL AND delivered_at <= ?`
		if _, err := c.ExecContext(ctx, `DELETE FROM outbox_payloads WHERE id IN (SELECT id FROM outbox WHERE `+due+`)`, cutoff); err != nil {
			return err
		}
		res, err := c.ExecContext(ctx, `UPDATE outbox SET purged_at = ? WHERE `+due, now.UnixNano(), cutoff)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: purge: %w", err)
	}
	return int(n), nil
}

const (
	metaLastAttempt = "last_attempt"
	metaLastSuccess = "last_success"
)

// RecordSync remembers that a sync run ended now, and whether it succeeded.
func (o *Outbox) RecordSync(ctx context.Context, ok bool) error {
	now := o.now().UnixNano()
	q := `INSERT INTO outbox_meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`
	err := o.immediate(ctx, func(c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, q, metaLastAttempt, now); err != nil || !ok {
			return err
		}
		_, err := c.ExecContext(ctx, q, metaLastSuccess, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("outbox: record sync: %w", err)
	}
	return nil
}

// LastSuccess is when a sync run last succeeded; zero if never.
func (o *Outbox) LastSuccess(ctx context.Context) (time.Time, error) {
	t, err := o.metaTime(ctx, metaLastSuccess)
	if err != nil {
		return time.Time{}, fmt.Errorf("outbox: last success: %w", err)
	}
	return t, nil
}

func (o *Outbox) metaTime(ctx context.Context, k string) (time.Time, error) {
	var n int64
	err := o.db.QueryRowContext(ctx, `SELECT v FROM outbox_meta WHERE k = ?`, k).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return fromNanos(n), nil
}

// Stats are counts and times for staff; no ids, no personal data.
type Stats struct {
	// Every item, packages and failed-session records alike: staff see
	// what waits, and requeue dead letters of both kinds together.
	Pending, Delivered, Dead, Purged int
	OldestPending                    time.Time // created_at of the oldest pending item; zero if none
	LastSuccess, LastAttempt         time.Time // zero if never

	// The failed-session records among the counts above.
	RecordsPending, RecordsDelivered, RecordsDead int
}

// Stats sums up the outbox.
func (o *Outbox) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	// One read transaction, so the counts and times come from one snapshot.
	tx, err := o.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return s, fmt.Errorf("outbox: stats: %w", err)
	}
	defer tx.Rollback()
	var oldest sql.NullInt64
	err = tx.QueryRowContext(ctx, `SELECT
		coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'delivered'), 0),
		coalesce(sum(state = 'dead'), 0), coalesce(sum(purged_at IS NOT NULL), 0),
		min(CASE WHEN state = 'pending' THEN created_at END),
		coalesce(sum(kind = 'failed_session' AND state = 'pending'), 0),
		coalesce(sum(kind = 'failed_session' AND state = 'delivered'), 0),
		coalesce(sum(kind = 'failed_session' AND state = 'dead'), 0)
		FROM outbox`).Scan(&s.Pending, &s.Delivered, &s.Dead, &s.Purged, &oldest,
		&s.RecordsPending, &s.RecordsDelivered, &s.RecordsDead)
	if err != nil {
		return s, fmt.Errorf("outbox: stats: %w", err)
	}
	if oldest.Valid {
		s.OldestPending = fromNanos(oldest.Int64)
	}
	for k, dst := range map[string]*time.Time{metaLastSuccess: &s.LastSuccess, metaLastAttempt: &s.LastAttempt} {
		var n int64
		err := tx.QueryRowContext(ctx, `SELECT v FROM outbox_meta WHERE k = ?`, k).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return s, fmt.Errorf("outbox: stats: %w", err)
		}
		*dst = fromNanos(n)
	}
	return s, nil
}
