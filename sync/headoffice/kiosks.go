package headoffice

import "sync"

// kioskLimit counts each kiosk's uploads in flight (by client certificate
// CN), so that one sick or hostile kiosk cannot hold an unbounded number of
// connections and spool files.
type kioskLimit struct {
	mu  sync.Mutex
	max int
	n   map[string]int
}

func newKioskLimit(max int) *kioskLimit { return &kioskLimit{max: max, n: map[string]int{}} }

// acquire counts one more upload from cn, or reports that cn is at its limit.
func (k *kioskLimit) acquire(cn string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.n[cn] >= k.max {
		return false
	}
	k.n[cn]++
	return true
}

func (k *kioskLimit) release(cn string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.n[cn]--; k.n[cn] <= 0 {
		delete(k.n, cn) // the map holds only kiosks with uploads in flight
	}
}

func (k *kioskLimit) inFlight(cn string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.n[cn]
}
