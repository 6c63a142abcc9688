package headoffice

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"almatel.kz/signkiosk/app/pack"
)

// Head office's register of kiosks, in the index database: which kiosks it
// enrolled, with every device certificate it issued each, and which it
// revoked. A package counts only if its device certificate is one of these
// and its kiosk is not revoked; a revoked kiosk's connections are refused
// (TLSConfig). A revocation is for good: the kiosk's id is never enrolled
// again (a repaired kiosk comes back under a new id), so nothing signed
// under a revoked id can count again, whatever certificate it shows.
const enrolSchema = `CREATE TABLE IF NOT EXISTS kiosks (
	id          TEXT PRIMARY KEY,  -- kiosk id: the CN of its certificates
	enrolled_at TEXT NOT NULL,     -- RFC 3339, UTC: the first enrolment
	revoked_at  TEXT               -- RFC 3339, UTC; NULL while in service
);
CREATE TABLE IF NOT EXISTS device_certs (
	sha256      TEXT PRIMARY KEY,  -- of the certificate's DER
	kiosk       TEXT NOT NULL REFERENCES kiosks(id),
	serial      TEXT NOT NULL,     -- hex
	not_after   TEXT NOT NULL,     -- RFC 3339, UTC
	enrolled_at TEXT NOT NULL
)`

// Errors of the register.
var (
	ErrRevoked      = errors.New("kiosk is revoked")
	ErrUnknownKiosk = errors.New("kiosk is not enrolled")
)

// Kiosk is one kiosk in the register.
type Kiosk struct {
	ID         string
	EnrolledAt time.Time
	RevokedAt  time.Time // zero while the kiosk is in service
	Devices    int       // device certificates issued to it
}

// Revoked reports whether the kiosk's enrolment is revoked.
func (k Kiosk) Revoked() bool { return !k.RevokedAt.IsZero() }

// Fingerprint is how the register knows a device certificate: the
// SHA-256 of its DER, lowercase hex.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}

// Enrol implements Index. device must be a kiosk device certificate.
func (x *SQLiteIndex) Enrol(ctx context.Context, device *x509.Certificate, at time.Time) error {
	if err := pack.CheckDeviceProfile(device); err != nil {
		return fmt.Errorf("enrol: not a kiosk device certificate: %w", err)
	}
	id := device.Subject.CommonName
	tx, err := x.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("enrol %s: %w", id, err)
	}
	defer tx.Rollback() // a no-op after Commit
	stamp := at.UTC().Format(time.RFC3339Nano)
	if _, err := tx.ExecContext(ctx, `INSERT INTO kiosks (id, enrolled_at) VALUES (?, ?) ON CONFLICT(id) DO NOTHING`, id, stamp); err != nil {
		return fmt.Errorf("enrol %s: %w", id, err)
	}
	var revoked sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT revoked_at FROM kiosks WHERE id = ?`, id).Scan(&revoked); err != nil {
		return fmt.Errorf("enrol %s: %w", id, err)
	}
	if revoked.Valid {
		return fmt.Errorf("enrol %s: %w (since %s); enrol the kiosk under a new id", id, ErrRevoked, revoked.String)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO device_certs (sha256, kiosk, serial, not_after, enrolled_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(sha256) DO NOTHING`,
		Fingerprint(device), id, device.SerialNumber.Text(16), device.NotAfter.UTC().Format(time.RFC3339), stamp); err != nil {
		return fmt.Errorf("enrol %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("enrol %s: %w", id, err)
	}
	return nil
}

// Revoke implements Index, durably.
func (x *SQLiteIndex) Revoke(ctx context.Context, id string, at time.Time) (Kiosk, error) {
	if _, err := x.db.ExecContext(ctx, `UPDATE kiosks SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
		at.UTC().Format(time.RFC3339Nano), id); err != nil {
		return Kiosk{}, fmt.Errorf("revoke %s: %w", id, err)
	}
	k, ok, err := x.Kiosk(ctx, id)
	if err != nil {
		return Kiosk{}, err
	}
	if !ok {
		return Kiosk{}, fmt.Errorf("revoke %s: %w", id, ErrUnknownKiosk)
	}
	return k, nil
}

// Kiosk implements Index.
func (x *SQLiteIndex) Kiosk(ctx context.Context, id string) (Kiosk, bool, error) {
	ks, err := x.kiosks(ctx, `WHERE k.id = ?`, id)
	if err != nil || len(ks) == 0 {
		return Kiosk{}, false, err
	}
	return ks[0], true, nil
}

// Kiosks implements Index.
func (x *SQLiteIndex) Kiosks(ctx context.Context) ([]Kiosk, error) { return x.kiosks(ctx, "") }

func (x *SQLiteIndex) kiosks(ctx context.Context, where string, args ...any) ([]Kiosk, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT k.id, k.enrolled_at, k.revoked_at,
		(SELECT count(*) FROM device_certs d WHERE d.kiosk = k.id) FROM kiosks k `+where+` ORDER BY k.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("kiosk register: %w", err)
	}
	defer rows.Close()
	var out []Kiosk
	for rows.Next() {
		var k Kiosk
		var enrolled string
		var revoked sql.NullString
		if err := rows.Scan(&k.ID, &enrolled, &revoked, &k.Devices); err != nil {
			return nil, fmt.Errorf("kiosk register: %w", err)
		}
		if k.EnrolledAt, err = time.Parse(time.RFC3339Nano, enrolled); err != nil {
			return nil, fmt.Errorf("kiosk register: %s: enrolled_at: %w", k.ID, err)
		}
		if revoked.Valid {
			if k.RevokedAt, err = time.Parse(time.RFC3339Nano, revoked.String); err != nil {
				return nil, fmt.Errorf("kiosk register: %s: revoked_at: %w", k.ID, err)
			}
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("kiosk register: %w", err)
	}
	return out, nil
}

// DeviceEnrolled implements Index.
func (x *SQLiteIndex) DeviceEnrolled(ctx context.Context, device *x509.Certificate) (bool, error) {
	var n int
	err := x.db.QueryRowContext(ctx, `SELECT count(*) FROM device_certs WHERE sha256 = ? AND kiosk = ?`,
		Fingerprint(device), device.Subject.CommonName).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("kiosk register: %w", err)
	}
	return n > 0, nil
}
