-- Notifications to the team (a JSON POST to a configured URL), kept until delivered: a server
-- that stops mid-retry loses none, and any server may deliver them. No caller's number here.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event TEXT NOT NULL UNIQUE,        -- the id the receiver deduplicates by
    body TEXT NOT NULL,                -- the JSON sent
    created_ms BIGINT NOT NULL,
    next_try_ms BIGINT NOT NULL,       -- also pushed on while one server is trying it
    tries BIGINT NOT NULL DEFAULT 0,
    delivered_ms BIGINT,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (next_try_ms) WHERE delivered_ms IS NULL;
