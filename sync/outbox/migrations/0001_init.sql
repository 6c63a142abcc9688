-- The outbox: one row per signed package, its payload encrypted (AES-256-GCM,
-- nonce‖ciphertext, AAD = id). Times are Unix nanoseconds.
CREATE TABLE outbox (
	id              TEXT PRIMARY KEY,
	state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
	digest          TEXT NOT NULL, -- hex SHA-256 of the plaintext ZIP
	size            INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	last_error      TEXT NOT NULL DEFAULT '',
	delivered_at    INTEGER,
	purged_at       INTEGER,
	payload         BLOB -- NULL once purged
) STRICT;

CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_created ON outbox (created_at);

-- A session counts as signed exactly when its package is in the outbox: both
-- rows are written in one transaction.
CREATE TABLE signed_sessions (
	ticket_id  TEXT PRIMARY KEY,
	package_id TEXT NOT NULL UNIQUE REFERENCES outbox (id),
	signed_at  INTEGER NOT NULL
) STRICT;

-- Small facts: the key-check value, last sync attempt and success.
CREATE TABLE outbox_meta (
	k TEXT PRIMARY KEY,
	v ANY NOT NULL
) STRICT;
