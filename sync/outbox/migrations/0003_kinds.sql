-- The outbox carries two kinds of item: signed packages, and the signed
-- records of sessions that ended before signing (docs/FAILED_SESSIONS.md).
-- Both take the same states, retries, dead letters, encryption at rest and
-- purge; every row made before this version is a package.
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'package' CHECK (kind IN ('package', 'failed_session'));
