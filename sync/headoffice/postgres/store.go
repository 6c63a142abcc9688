// Package postgres is head office's store on PostgreSQL, for an operator
// who runs head office as a service of several replicas over one database
// (docs/HEADOFFICE.md): package bodies behind headoffice.Storage and the
// index, register, ticket claims and failed sessions behind
// headoffice.Index, in embedded, versioned migrations. The file + SQLite
// store stays the embedded default.
package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"almatel.kz/signkiosk/sync/headoffice"
)

// ChunkSize is how much of a body one row holds: what an upload or a
// download keeps in memory at a time.
const ChunkSize = 1 << 20

// Store is a connection pool to head office's database. It is safe for
// concurrent use, and any number of processes may share one database.
type Store struct {
	pool *pgxpool.Pool
}

var _ headoffice.Storage = (*Store)(nil)

// Open connects to the database at dsn (a PostgreSQL connection string or
// URL) and migrates it to this release's schema.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: bad dsn: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if _, err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Put implements headoffice.Storage. The body's row and chunks go in one
// transaction, committed (synchronous_commit on: flushed to the WAL) before
// it returns created. Two replicas putting one package at once: the second
// insert waits on the first's row lock, then finds it held.
func (s *Store) Put(ctx context.Context, id, digest string, r io.Reader, size int64) (bool, error) {
	if !headoffice.ValidID(id) {
		return false, fmt.Errorf("postgres: put: invalid package id")
	}
	if size < 0 {
		return false, headoffice.ErrBodyMismatch
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres: put %s: %w", id, err)
	}
	defer tx.Rollback(ctx) // a no-op after Commit
	chunks := int((size + ChunkSize - 1) / ChunkSize)
	tag, err := tx.Exec(ctx, `INSERT INTO bodies (id, digest, size, chunks) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`, id, digest, size, chunks)
	if err != nil {
		return false, fmt.Errorf("postgres: put %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		var held string
		if err := tx.QueryRow(ctx, `SELECT digest FROM bodies WHERE id = $1`, id).Scan(&held); err != nil {
			return false, fmt.Errorf("postgres: put %s: %w", id, err)
		}
		if held != digest {
			return false, headoffice.ErrConflict
		}
		return false, nil
	}
	h := sha256.New()
	buf := make([]byte, ChunkSize)
	lr := io.LimitReader(r, size+1)
	var total int64
	for n := 0; ; n++ {
		k, rerr := io.ReadFull(lr, buf)
		if k > 0 {
			total += int64(k)
			if total > size {
				return false, headoffice.ErrBodyMismatch
			}
			h.Write(buf[:k])
			if _, err := tx.Exec(ctx, `INSERT INTO body_chunks (id, n, data) VALUES ($1, $2, $3)`, id, n, buf[:k]); err != nil {
				return false, fmt.Errorf("postgres: put %s: chunk %d: %w", id, n, err)
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return false, fmt.Errorf("postgres: put %s: read body: %w", id, rerr)
		}
	}
	if total != size || hex.EncodeToString(h.Sum(nil)) != digest {
		return false, headoffice.ErrBodyMismatch
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("postgres: put %s: commit: %w", id, err)
	}
	return true, nil
}

// Digest implements headoffice.Storage.
func (s *Store) Digest(ctx context.Context, id string) (string, bool, error) {
	var d string
	err := s.pool.QueryRow(ctx, `SELECT digest FROM bodies WHERE id = $1`, id).Scan(&d)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("postgres: digest %s: %w", id, err)
	}
	return d, true, nil
}

// Get implements headoffice.Storage: the body is read a chunk at a time,
// each in its own query (a download may be slow; it holds no transaction
// open). Chunks are never changed once committed, so this reads one body.
func (s *Store) Get(ctx context.Context, id string) (io.ReadCloser, error) {
	var chunks int
	err := s.pool.QueryRow(ctx, `SELECT chunks FROM bodies WHERE id = $1`, id).Scan(&chunks)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, headoffice.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get %s: %w", id, err)
	}
	return &bodyReader{ctx: ctx, pool: s.pool, id: id, chunks: chunks}, nil
}

// bodyReader reads a body's chunks in order.
type bodyReader struct {
	ctx    context.Context
	pool   *pgxpool.Pool
	id     string
	chunks int
	next   int    // the next chunk to fetch
	buf    []byte // what is left of the current one
}

func (b *bodyReader) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.next >= b.chunks {
			return 0, io.EOF
		}
		if err := b.pool.QueryRow(b.ctx, `SELECT data FROM body_chunks WHERE id = $1 AND n = $2`, b.id, b.next).Scan(&b.buf); err != nil {
			return 0, fmt.Errorf("postgres: get %s: chunk %d: %w", b.id, b.next, err)
		}
		b.next++
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

func (b *bodyReader) Close() error {
	b.next, b.buf = b.chunks, nil
	return nil
}
