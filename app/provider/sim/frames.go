package sim

import "crypto/sha256"

// frameRegistry remembers the SHA-256 of every frame judged, in any
// session, so frames captured once cannot be submitted again (from another
// session, or from an earlier attempt). It keeps the newest maxSeenFrames;
// guarded by the Simulator's mu.
type frameRegistry struct {
	set   map[[sha256.Size]byte]struct{}
	order [][sha256.Size]byte // oldest first, for eviction
}

// maxSeenFrames: days of a busy office's attempts (a few frames each).
const maxSeenFrames = 1 << 16

func (f *frameRegistry) seen(sum [sha256.Size]byte) bool {
	_, ok := f.set[sum]
	return ok
}

func (f *frameRegistry) add(sum [sha256.Size]byte) {
	if f.set == nil {
		f.set = make(map[[sha256.Size]byte]struct{})
	}
	if _, ok := f.set[sum]; ok {
		return
	}
	if len(f.order) == maxSeenFrames {
		delete(f.set, f.order[0])
		f.order = f.order[1:]
	}
	f.set[sum] = struct{}{}
	f.order = append(f.order, sum)
}
