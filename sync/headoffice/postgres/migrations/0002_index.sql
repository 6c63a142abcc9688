-- What head office knows besides the bodies: headoffice.Index. The same
-- tables as the SQLite index, with real timestamps, and indexes for the
-- queries staff run over millions of rows (a day's packages, an office's,
-- a kiosk's; the newest failed sessions).
CREATE TABLE packages (
	id          text PRIMARY KEY,
	digest      text NOT NULL,
	size        bigint NOT NULL,
	kiosk_cn    text NOT NULL,           -- the uploader's client certificate CN
	received_at timestamptz NOT NULL,
	report      text                     -- the validation report (JSON) it was accepted with, as it was
);
CREATE INDEX packages_received ON packages (received_at);
CREATE INDEX packages_kiosk ON packages (kiosk_cn, received_at);

CREATE TABLE ticket_claims (
	tid        text PRIMARY KEY,
	kiosk_cn   text NOT NULL,
	claimed_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL     -- the ticket's own expiry: the claim may go after it
);
CREATE INDEX ticket_claims_expires ON ticket_claims (expires_at);

CREATE TABLE kiosks (
	id          text PRIMARY KEY,        -- the CN of its certificates
	enrolled_at timestamptz NOT NULL,
	revoked_at  timestamptz              -- NULL while in service; for good once set
);
CREATE TABLE device_certs (
	sha256      text PRIMARY KEY,        -- of the certificate's DER
	kiosk       text NOT NULL REFERENCES kiosks (id),
	serial      text NOT NULL,
	not_after   timestamptz NOT NULL,
	enrolled_at timestamptz NOT NULL
);
CREATE INDEX device_certs_kiosk ON device_certs (kiosk);

CREATE TABLE failed_sessions (
	id          text PRIMARY KEY,
	digest      text NOT NULL,
	kiosk       text NOT NULL,
	office      text NOT NULL,
	ticket_id   text NOT NULL,
	order_id    text NOT NULL,
	staff       text NOT NULL,
	step        text NOT NULL,
	reason      text NOT NULL,
	error       text NOT NULL,
	attempts    integer NOT NULL,
	started_at  timestamptz NOT NULL,
	ended_at    timestamptz NOT NULL,
	received_at timestamptz NOT NULL,
	body        bytea NOT NULL           -- the signed record as received
);
CREATE INDEX failed_sessions_ended ON failed_sessions (ended_at);
CREATE INDEX failed_sessions_office ON failed_sessions (office, ended_at);
CREATE INDEX failed_sessions_kiosk ON failed_sessions (kiosk, ended_at);
