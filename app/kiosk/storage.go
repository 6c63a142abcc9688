package kiosk

import (
	"context"

	"almatel.kz/signkiosk/app/session"
	"almatel.kz/signkiosk/app/store"
)

// faultCodes are the session's codes for a database fault: the storage
// fault the idle screen shows (session.StorageCodes, "" when err is not one
// of the four) and the failed store's (session.StoreCodes, ErrStoreFailed
// for any other error), so the screens tell a full disk from a damaged
// database.
func faultCodes(err error) (storage, stored string) {
	switch store.Fault(err) {
	case store.ErrDiskFull:
		return session.ErrStorageDiskFull, session.ErrStoreDiskFull
	case store.ErrReadOnly:
		return session.ErrStorageReadOnly, session.ErrStoreReadOnly
	case store.ErrMissing:
		return session.ErrStorageMissing, session.ErrStoreMissing
	case store.ErrCorrupt:
		return session.ErrStorageDamaged, session.ErrStoreDamaged
	}
	return "", session.ErrStoreFailed
}

// storageCode is faultCodes' storage fault.
func storageCode(err error) string {
	c, _ := faultCodes(err)
	return c
}

// lookAtStorage starts a look at the database when one is due (runner
// goroutine, on a tick); its finding comes back as StorageChecked.
func (r *Runner) lookAtStorage(ctx context.Context) {
	now := r.cfg.Now()
	if r.cfg.Storage == nil || now.Before(r.probeAt) || !r.probing.CompareAndSwap(false, true) {
		return
	}
	r.probeAt = now.Add(r.cfg.StorageEvery)
	r.faultMu.Lock()
	seen := r.faults
	r.faultMu.Unlock()
	r.effects.Add(1)
	go func() {
		defer r.effects.Done()
		defer r.probing.Store(false)
		err := r.cfg.Storage.Check(ctx)
		if ctx.Err() != nil {
			return
		}
		fault := storageCode(err)
		switch {
		case fault != "":
			r.storageFault(fault, err)
		case err != nil:
			// The look itself failed (a lock held too long): it says
			// nothing about the disk, so the kiosk stays as it was.
			r.cfg.Log.Warn().Err(err).Msg("storage check did not run")
		default:
			r.faultMu.Lock()
			defer r.faultMu.Unlock()
			if r.faults != seen {
				return // a write failed meanwhile: it knows better than this look
			}
			if r.State().Storage != "" {
				r.cfg.Log.Info().Str("event", "storage_ok").Msg("kiosk database usable again; new sessions start")
			}
			r.Dispatch(session.StorageChecked{})
		}
	}()
}

// storageFault records a fault of the database: logged once when it
// starts (staff's alert), kept in the state so no new session starts.
func (r *Runner) storageFault(fault string, err error) {
	r.faultMu.Lock()
	defer r.faultMu.Unlock()
	r.faults++
	if r.State().Storage != fault {
		r.cfg.Log.Error().Err(err).Str("event", "storage_fault").Str("code", fault).
			Msg("kiosk database cannot take sessions; none start until it can")
	}
	r.Dispatch(session.StorageChecked{Fault: fault})
}

var _ StorageProbe = (*store.Probe)(nil)
