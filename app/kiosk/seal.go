package kiosk

import (
	"errors"

	"almatel.kz/signkiosk/app/cades"
	"almatel.kz/signkiosk/app/session"
)

// sealCode is the session code for a failed seal: which of the national
// CA's services was away, or a revoked certificate (the session ends).
func sealCode(err error) string {
	switch {
	case errors.Is(err, cades.ErrRevoked):
		return session.ErrCertRevoked
	case errors.Is(err, cades.ErrTSAUnavailable):
		return session.ErrTSAUnavailable
	case errors.Is(err, cades.ErrOCSPUnavailable):
		return session.ErrOCSPUnavailable
	}
	return session.ErrSealFailed
}
