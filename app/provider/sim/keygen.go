package sim

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
)

// RSA-2048 key generation costs tens of milliseconds (and varies a lot), too
// much to spend after the subscriber presses "create password". A provider
// hides it by starting the key when biometrics pass: the subscriber then
// reads the EDS rules for a while, and the certificate call only takes the
// ready key. The password protects the key; it is not needed to make it.

type keyResult struct {
	key *rsa.PrivateKey
	err error
}

// startKeygen generates one key on its own goroutine; the channel gets it.
func startKeygen() chan keyResult {
	ch := make(chan keyResult, 1)
	go func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		ch <- keyResult{k, err}
	}()
	return ch
}

// takeKey returns the session's pre-generated key, waiting for it if needed,
// or makes one now when none was started. Callers hold ss.mu.
func (ss *session) takeKey(ctx context.Context) (*rsa.PrivateKey, error) {
	if ss.pendingKey == nil {
		ss.pendingKey = startKeygen()
	}
	select {
	case r := <-ss.pendingKey:
		ss.pendingKey = nil
		if r.err != nil {
			return nil, fmt.Errorf("subscriber key: %w", r.err)
		}
		return r.key, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("subscriber key: %w", ctx.Err())
	}
}
