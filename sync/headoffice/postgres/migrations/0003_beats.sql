-- Each kiosk's newest heartbeat (headoffice.KioskBeat): one row per kiosk,
-- replaced at each beat, so the fleet table is one scan however long the
-- fleet has run.
CREATE TABLE kiosk_beats (
	kiosk       text PRIMARY KEY REFERENCES kiosks (id),
	received_at timestamptz NOT NULL,   -- head office's clock
	offset_ms   bigint NOT NULL,        -- the kiosk's clock minus head office's
	beats       bigint NOT NULL,
	beat        jsonb NOT NULL          -- heartbeat.Beat
);
CREATE INDEX kiosk_beats_received ON kiosk_beats (received_at); -- the silent ones: oldest beats first
