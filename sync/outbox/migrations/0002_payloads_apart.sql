-- Payloads move to their own table. SQLite rewrites a whole row on UPDATE,
-- so marking a package delivered or failed rewrote its 500 KB payload too:
-- sync ran at 15 % of a plain PUT's throughput (docs/BENCHMARKS.md). State
-- changes now touch only the small outbox row.
CREATE TABLE outbox_payloads (
	id      TEXT PRIMARY KEY REFERENCES outbox (id),
	payload BLOB NOT NULL -- AES-256-GCM, nonce‖ciphertext, AAD = id
) STRICT;

INSERT INTO outbox_payloads (id, payload) SELECT id, payload FROM outbox WHERE payload IS NOT NULL;

ALTER TABLE outbox DROP COLUMN payload;
