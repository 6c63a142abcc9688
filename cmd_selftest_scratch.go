package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// selftestScratch is one selftest's private data dir (keys, database,
// packages). Every run's dir lives under one well-known folder,
// $TMPDIR/signkiosk-selftest-<uid>, so a run killed with -9 — whose deferred
// removal never ran — is found and removed by the next one. A live run
// holds an flock on its dir's .lock until Close: a concurrent selftest sees
// it held and leaves that dir alone.
type selftestScratch struct {
	Dir  string
	lock *os.File
}

// scratchGuard is the base folder's lock file: sweeping and making a run
// hold it, so no run is ever seen between its mkdir and its lock.
const scratchGuard = ".lock"

func newSelftestScratch() (*selftestScratch, error) {
	base := filepath.Join(os.TempDir(), fmt.Sprintf("signkiosk-selftest-%d", os.Getuid()))
	if err := privateDir(base); err != nil {
		return nil, err
	}
	guard, err := lockFile(filepath.Join(base, scratchGuard), true)
	if err != nil {
		return nil, fmt.Errorf("selftest scratch: %w", err)
	}
	defer guard.Close() // releases the guard

	sweepScratch(base)
	dir, err := os.MkdirTemp(base, fmt.Sprintf("run-%d-", os.Getpid())) // 0700
	if err != nil {
		return nil, fmt.Errorf("selftest scratch: %w", err)
	}
	lock, err := lockFile(filepath.Join(dir, scratchGuard), false)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("selftest scratch: %w", err)
	}
	return &selftestScratch{Dir: dir, lock: lock}, nil
}

// Close removes the dir, then lets go of its lock.
func (s *selftestScratch) Close() error {
	err := os.RemoveAll(s.Dir)
	s.lock.Close()
	return err
}

// sweepScratch removes the runs under base whose lock is free: their
// process is gone (a lock dies with its process, also on kill -9). Best
// effort: what cannot be removed now is tried again by the next run.
func sweepScratch(base string) {
	ents, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "run-") {
			continue
		}
		dir := filepath.Join(base, e.Name())
		l, err := lockFile(filepath.Join(dir, scratchGuard), false)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			continue // a selftest running now
		}
		// Free, or no lock file at all (killed between mkdir and lock,
		// which happen under the guard): stale either way.
		os.RemoveAll(dir)
		if l != nil {
			l.Close()
		}
	}
}

// lockFile opens (creating) path and takes an exclusive flock on it,
// waiting for it when wait, else failing with EWOULDBLOCK if it is held.
func lockFile(path string, wait bool) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

// privateDir makes dir 0700, or checks that the one already there is a
// real folder of this user that nobody else can enter: in a shared /tmp
// another account could have made it first, to read the keys put in it.
func privateDir(dir string) error {
	err := os.Mkdir(dir, 0o700)
	if err == nil {
		return nil
	}
	if !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("selftest scratch: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("selftest scratch: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok || int(st.Uid) != os.Getuid() || fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("selftest scratch: %s is not a private folder of this user (mode %v); remove it", dir, fi.Mode())
	}
	return nil
}
