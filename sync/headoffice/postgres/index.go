package postgres

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"almatel.kz/signkiosk/app/pack"
	"almatel.kz/signkiosk/sync/headoffice"
)

var _ headoffice.Index = (*Store)(nil)

// Package implements headoffice.Index.
func (s *Store) Package(ctx context.Context, id string) (headoffice.Record, bool, error) {
	var r headoffice.Record
	var report *string
	err := s.pool.QueryRow(ctx, `SELECT id, digest, size, kiosk_cn, received_at, report FROM packages WHERE id = $1`, id).
		Scan(&r.ID, &r.Digest, &r.Size, &r.KioskCN, &r.ReceivedAt, &report)
	if errors.Is(err, pgx.ErrNoRows) {
		return headoffice.Record{}, false, nil
	}
	if err != nil {
		return headoffice.Record{}, false, fmt.Errorf("postgres: index lookup %s: %w", id, err)
	}
	if report != nil {
		r.Report = []byte(*report)
	}
	r.ReceivedAt = r.ReceivedAt.UTC()
	return r, true, nil
}

// AddPackage implements headoffice.Index; committed when it returns.
func (s *Store) AddPackage(ctx context.Context, r headoffice.Record) (bool, error) {
	var report *string
	if r.Report != nil {
		v := string(r.Report)
		report = &v
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO packages (id, digest, size, kiosk_cn, received_at, report)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
		r.ID, r.Digest, r.Size, r.KioskCN, r.ReceivedAt.UTC(), report)
	if err != nil {
		return false, fmt.Errorf("postgres: index insert %s: %w", r.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ClaimTicket implements headoffice.Index. Two replicas claiming one
// ticket at once: the second insert waits on the first's row lock, then
// reads its holder. Expired claims are purged a batch at a time, skipping
// rows another claim is purging, so purges never wait on each other.
func (s *Store) ClaimTicket(ctx context.Context, tid, cn string, now, exp time.Time) (string, bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return "", false, fmt.Errorf("postgres: claim ticket: %w", err)
	}
	defer tx.Rollback(ctx) // a no-op after Commit
	if _, err := tx.Exec(ctx, `DELETE FROM ticket_claims WHERE tid IN
		(SELECT tid FROM ticket_claims WHERE expires_at < $1 LIMIT 100 FOR UPDATE SKIP LOCKED)`, now); err != nil {
		return "", false, fmt.Errorf("postgres: claim ticket: purge: %w", err)
	}
	// This ticket's own expired claim goes whatever the batch took.
	if _, err := tx.Exec(ctx, `DELETE FROM ticket_claims WHERE tid = $1 AND expires_at < $2`, tid, now); err != nil {
		return "", false, fmt.Errorf("postgres: claim ticket: purge: %w", err)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO ticket_claims (tid, kiosk_cn, claimed_at, expires_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (tid) DO NOTHING`, tid, cn, now.UTC(), exp.UTC())
	if err != nil {
		return "", false, fmt.Errorf("postgres: claim ticket: %w", err)
	}
	created := tag.RowsAffected() == 1
	holder := cn
	if !created {
		if err := tx.QueryRow(ctx, `SELECT kiosk_cn FROM ticket_claims WHERE tid = $1`, tid).Scan(&holder); err != nil {
			return "", false, fmt.Errorf("postgres: claim ticket: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return "", false, fmt.Errorf("postgres: claim ticket: commit: %w", err)
	}
	return holder, created, nil
}

// Enrol implements headoffice.Index.
func (s *Store) Enrol(ctx context.Context, device *x509.Certificate, at time.Time) error {
	if err := pack.CheckDeviceProfile(device); err != nil {
		return fmt.Errorf("enrol: not a kiosk device certificate: %w", err)
	}
	id := device.Subject.CommonName
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("enrol %s: %w", id, err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `INSERT INTO kiosks (id, enrolled_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, at.UTC()); err != nil {
		return fmt.Errorf("enrol %s: %w", id, err)
	}
	// FOR SHARE: a revocation running now waits for this enrolment or
	// this one sees it.
	var revoked *time.Time
	if err := tx.QueryRow(ctx, `SELECT revoked_at FROM kiosks WHERE id = $1 FOR SHARE`, id).Scan(&revoked); err != nil {
		return fmt.Errorf("enrol %s: %w", id, err)
	}
	if revoked != nil {
		return fmt.Errorf("enrol %s: %w (since %s); enrol the kiosk under a new id", id, headoffice.ErrRevoked,
			revoked.UTC().Format(time.RFC3339))
	}
	if _, err := tx.Exec(ctx, `INSERT INTO device_certs (sha256, kiosk, serial, not_after, enrolled_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING`,
		headoffice.Fingerprint(device), id, device.SerialNumber.Text(16), device.NotAfter.UTC(), at.UTC()); err != nil {
		return fmt.Errorf("enrol %s: %w", id, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("enrol %s: %w", id, err)
	}
	return nil
}

// Revoke implements headoffice.Index.
func (s *Store) Revoke(ctx context.Context, id string, at time.Time) (headoffice.Kiosk, error) {
	if _, err := s.pool.Exec(ctx, `UPDATE kiosks SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, at.UTC(), id); err != nil {
		return headoffice.Kiosk{}, fmt.Errorf("revoke %s: %w", id, err)
	}
	k, ok, err := s.Kiosk(ctx, id)
	if err != nil {
		return headoffice.Kiosk{}, err
	}
	if !ok {
		return headoffice.Kiosk{}, fmt.Errorf("revoke %s: %w", id, headoffice.ErrUnknownKiosk)
	}
	return k, nil
}

// Kiosk implements headoffice.Index.
func (s *Store) Kiosk(ctx context.Context, id string) (headoffice.Kiosk, bool, error) {
	ks, err := s.kiosks(ctx, `WHERE k.id = $1`, id)
	if err != nil || len(ks) == 0 {
		return headoffice.Kiosk{}, false, err
	}
	return ks[0], true, nil
}

// Kiosks implements headoffice.Index.
func (s *Store) Kiosks(ctx context.Context) ([]headoffice.Kiosk, error) { return s.kiosks(ctx, "") }

func (s *Store) kiosks(ctx context.Context, where string, args ...any) ([]headoffice.Kiosk, error) {
	rows, err := s.pool.Query(ctx, `SELECT k.id, k.enrolled_at, k.revoked_at,
		(SELECT count(*) FROM device_certs d WHERE d.kiosk = k.id) FROM kiosks k `+where+` ORDER BY k.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("kiosk register: %w", err)
	}
	defer rows.Close()
	var out []headoffice.Kiosk
	for rows.Next() {
		var k headoffice.Kiosk
		var revoked *time.Time
		if err := rows.Scan(&k.ID, &k.EnrolledAt, &revoked, &k.Devices); err != nil {
			return nil, fmt.Errorf("kiosk register: %w", err)
		}
		k.EnrolledAt = k.EnrolledAt.UTC()
		if revoked != nil {
			k.RevokedAt = revoked.UTC()
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("kiosk register: %w", err)
	}
	return out, nil
}

// DeviceEnrolled implements headoffice.Index.
func (s *Store) DeviceEnrolled(ctx context.Context, device *x509.Certificate) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM device_certs WHERE sha256 = $1 AND kiosk = $2)`,
		headoffice.Fingerprint(device), device.Subject.CommonName).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("kiosk register: %w", err)
	}
	return ok, nil
}

// FailedDigest implements headoffice.Index.
func (s *Store) FailedDigest(ctx context.Context, id string) (string, bool, error) {
	var d string
	err := s.pool.QueryRow(ctx, `SELECT digest FROM failed_sessions WHERE id = $1`, id).Scan(&d)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("failed sessions: lookup %s: %w", id, err)
	}
	return d, true, nil
}

// AddFailed implements headoffice.Index.
func (s *Store) AddFailed(ctx context.Context, f headoffice.FailedSession) (bool, error) {
	r := f.Record
	tag, err := s.pool.Exec(ctx, `INSERT INTO failed_sessions
		(id, digest, kiosk, office, ticket_id, order_id, staff, step, reason, error, attempts, started_at, ended_at, received_at, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (id) DO NOTHING`,
		r.RecordID, f.Digest, r.Kiosk, r.Office, r.TicketID, r.OrderID, r.Staff, r.Step, r.Reason, r.Error, len(r.Biometrics),
		r.StartedAt.UTC(), r.EndedAt.UTC(), f.ReceivedAt.UTC(), f.Body)
	if err != nil {
		return false, fmt.Errorf("failed sessions: insert %s: %w", r.RecordID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// FailedSessions implements headoffice.Index: newest end first, each read
// back from its signed record (the columns are a copy for filtering).
func (s *Store) FailedSessions(ctx context.Context, f headoffice.FailedFilter) ([]headoffice.FailedSession, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if !f.Since.IsZero() {
		add("ended_at >= $%d", f.Since.UTC())
	}
	if f.Office != "" {
		add("office = $%d", f.Office)
	}
	if f.Kiosk != "" {
		add("kiosk = $%d", f.Kiosk)
	}
	if f.Reason != "" {
		add("reason = $%d", f.Reason)
	}
	q := `SELECT digest, received_at, body FROM failed_sessions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY ended_at DESC, id"
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("failed sessions: %w", err)
	}
	defer rows.Close()
	var out []headoffice.FailedSession
	for rows.Next() {
		var fs headoffice.FailedSession
		if err := rows.Scan(&fs.Digest, &fs.ReceivedAt, &fs.Body); err != nil {
			return nil, fmt.Errorf("failed sessions: %w", err)
		}
		fs.ReceivedAt = fs.ReceivedAt.UTC()
		if err := fs.ReadBody(); err != nil {
			return nil, err
		}
		out = append(out, fs)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("failed sessions: %w", err)
	}
	return out, nil
}
