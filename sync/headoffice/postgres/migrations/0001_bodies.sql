-- Package bodies, behind headoffice.Storage. A body is its row in bodies
-- and its bytes in body_chunks, 1 MiB each, written in the transaction
-- that inserts the row: a body is there whole or not at all, and neither
-- an upload nor a download holds more than a chunk in memory.
CREATE TABLE bodies (
	id          text PRIMARY KEY,          -- the package id, a canonical UUID
	digest      text NOT NULL,             -- lowercase hex SHA-256 of the ZIP
	size        bigint NOT NULL CHECK (size >= 0),
	chunks      integer NOT NULL CHECK (chunks >= 0),
	stored_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE body_chunks (
	id   text NOT NULL REFERENCES bodies (id),
	n    integer NOT NULL CHECK (n >= 0),
	data bytea NOT NULL,
	PRIMARY KEY (id, n)
);

-- A ZIP of signatures and PDFs is compressed already: kept out of line
-- without PostgreSQL trying to compress it again.
ALTER TABLE body_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
