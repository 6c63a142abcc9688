package headoffice

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Storage holds package bodies by id. It is deliberately small so that a
// PostgreSQL + S3-compatible object store backend can implement it for the
// internet-scale service; FileStorage is the reference implementation.
// Digests are lowercase hex SHA-256.
type Storage interface {
	// Put stores size bytes from r as package id, whose SHA-256 is digest.
	// It never replaces a held body: the same id with the same digest
	// reports created=false, with another digest ErrConflict. It returns
	// only once the body is durable. An error means it is not durably
	// held; a copy may be left, which a later Put of the same body
	// completes.
	Put(ctx context.Context, id, digest string, r io.Reader, size int64) (created bool, err error)
	// Get opens package id's body, or fails with ErrNotFound.
	Get(ctx context.Context, id string) (io.ReadCloser, error)
	// Digest reports the SHA-256 of the body held for id, if any.
	Digest(ctx context.Context, id string) (digest string, ok bool, err error)
}

// Errors Storage implementations report.
var (
	ErrConflict = errors.New("package id already held with another digest")
	ErrNotFound = errors.New("package not found")
	// ErrBodyMismatch means the bytes read do not match the size or digest
	// the caller announced; nothing was stored.
	ErrBodyMismatch = errors.New("package body does not match its size or digest")
)

// FileStorage keeps each package as Dir/<id>.zip, mode 0600. A body is
// written to a temp file, fsynced, then linked into place and the directory
// fsynced: a crash at any point leaves either no package or the whole one
// (stray .tmp- files are never visible as packages).
type FileStorage struct {
	Dir string

	// beforeLink, when set (tests only), runs between the durable temp
	// write and the link, to simulate a crash or failure there.
	beforeLink func() error
}

var _ Storage = (*FileStorage)(nil)

func (s *FileStorage) path(id string) (string, error) {
	if !ValidID(id) {
		return "", fmt.Errorf("file storage: invalid package id")
	}
	return filepath.Join(s.Dir, id+".zip"), nil
}

// Put implements Storage.
func (s *FileStorage) Put(ctx context.Context, id, digest string, r io.Reader, size int64) (bool, error) {
	final, err := s.prepare(ctx, id, digest)
	if err != nil || final == "" {
		return false, err
	}
	tmp, err := os.CreateTemp(s.Dir, ".tmp-"+id+"-*")
	if err != nil {
		return false, fmt.Errorf("file storage: put %s: %w", id, err)
	}
	// Removing the temp name is right on every path: after the link the
	// package lives on under its final name.
	defer os.Remove(tmp.Name())
	if err := writeDurable(ctx, tmp, digest, r, size); err != nil {
		return false, fmt.Errorf("file storage: put %s: %w", id, err)
	}
	return s.place(ctx, id, digest, tmp.Name(), final)
}

// adopt stores f, a file in s.Dir whose SHA-256 the caller computed as it
// wrote it, as package id without copying it: like Put, but the body is
// already on this disk. It removes f's name; the caller closes f.
func (s *FileStorage) adopt(ctx context.Context, id, digest string, f *os.File) (bool, error) {
	defer os.Remove(f.Name())
	final, err := s.prepare(ctx, id, digest)
	if err != nil || final == "" {
		return false, err
	}
	if err := f.Chmod(0o600); err != nil {
		return false, fmt.Errorf("file storage: put %s: %w", id, err)
	}
	if err := f.Sync(); err != nil {
		return false, fmt.Errorf("file storage: put %s: %w", id, err)
	}
	return s.place(ctx, id, digest, f.Name(), final)
}

// prepare returns the final path of id, or "" when the same body is
// already held (ErrConflict when another is).
func (s *FileStorage) prepare(ctx context.Context, id, digest string) (string, error) {
	final, err := s.path(id)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return "", fmt.Errorf("file storage: %w", err)
	}
	if held, ok, err := s.Digest(ctx, id); err != nil {
		return "", err
	} else if ok {
		return "", sameOrConflict(held, digest)
	}
	return final, nil
}

// place links the durable temp file into place and makes that durable.
func (s *FileStorage) place(ctx context.Context, id, digest, tmp, final string) (bool, error) {
	if s.beforeLink != nil {
		if err := s.beforeLink(); err != nil {
			return false, fmt.Errorf("file storage: put %s: %w", id, err)
		}
	}
	// A hard link, unlike rename, never replaces an existing file, so two
	// racing uploads of one id cannot overwrite each other.
	if err := os.Link(tmp, final); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return false, fmt.Errorf("file storage: put %s: %w", id, err)
		}
		held, ok, err := s.Digest(ctx, id)
		if err != nil {
			return false, err
		}
		if !ok {
			return false, fmt.Errorf("file storage: put %s: lost a race with a vanished file", id)
		}
		return false, sameOrConflict(held, digest)
	}
	if err := os.Remove(tmp); err != nil {
		return false, fmt.Errorf("file storage: put %s: %w", id, err)
	}
	if err := syncDir(s.Dir); err != nil {
		return false, fmt.Errorf("file storage: put %s: %w", id, err)
	}
	return true, nil
}

func sameOrConflict(held, digest string) error {
	if held == digest {
		return nil
	}
	return ErrConflict
}

// writeDurable copies r into f checking size and digest, and makes the
// file 0600 and durable. It closes f.
func writeDurable(ctx context.Context, f *os.File, digest string, r io.Reader, size int64) error {
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), ctxReader{ctx, io.LimitReader(r, size+1)})
	if err == nil && (n != size || hex.EncodeToString(h.Sum(nil)) != digest) {
		err = ErrBodyMismatch
	}
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ctxReader stops a long copy when the request is abandoned.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Get implements Storage.
func (s *FileStorage) Get(_ context.Context, id string) (io.ReadCloser, error) {
	p, err := s.path(id)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("file storage: get %s: %w", id, err)
	}
	return f, nil
}

// Digest implements Storage by hashing the held file; a database-backed
// implementation would answer from its metadata instead.
func (s *FileStorage) Digest(ctx context.Context, id string) (string, bool, error) {
	rc, err := s.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, rc}); err != nil {
		return "", false, fmt.Errorf("file storage: digest %s: %w", id, err)
	}
	return hex.EncodeToString(h.Sum(nil)), true, nil
}

// CleanTemp removes temp files a crash left behind; call it at start, before
// serving. They never hold an acknowledged package.
func (s *FileStorage) CleanTemp() error {
	ents, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("file storage: clean: %w", err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			if err := os.Remove(filepath.Join(s.Dir, e.Name())); err != nil {
				return fmt.Errorf("file storage: clean: %w", err)
			}
		}
	}
	return nil
}
