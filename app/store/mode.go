package store

import (
	"errors"
	"io/fs"
	"os"
)

// ownerOnly makes the database file 0600 before SQLite opens it (creating
// it empty when missing: SQLite takes an empty file as a new database), and
// tightens a -wal or -shm left behind. SQLite creates -wal and -shm with the
// database file's mode, so they never exist more open than 0600 — they hold
// the same personal data.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
