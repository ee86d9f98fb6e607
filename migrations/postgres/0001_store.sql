-- Switchboard's store: everything ops change at run time, shared by every server.
-- The SQLite schema (../sqlite) is the same, table for table; only the types differ.

-- Bumped by every change: a server that sees a new serial loads the store again.
CREATE TABLE revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    serial BIGINT NOT NULL
);
INSERT INTO revision (id, serial) VALUES (1, 0);

-- The emergency switch: a row per schedule closed now.
CREATE TABLE emergency (
    schedule TEXT PRIMARY KEY,
    since_ms BIGINT NOT NULL,
    note TEXT NOT NULL
);

-- Closure days and special hours added by ops at run time (those in flow files stay there).
CREATE TABLE one_off_days (
    schedule TEXT NOT NULL,
    day TEXT NOT NULL,                 -- YYYY-MM-DD, in the schedule's own time zone
    kind TEXT NOT NULL CHECK (kind IN ('closure', 'special_hours')),
    value TEXT NOT NULL,               -- the reason callers hear, or the hours "10:00-13:00"
    added_by TEXT NOT NULL,
    added_ms BIGINT NOT NULL,
    PRIMARY KEY (schedule, day)
);

-- Every set of flow files that was published, by its version (a hash of names and texts).
CREATE TABLE flow_versions (
    version TEXT PRIMARY KEY,
    files TEXT NOT NULL,               -- JSON: [[file name, text], ...]
    first_ms BIGINT NOT NULL
);

-- Each time a set went into force: the newest row is the set every server serves.
CREATE TABLE flows_in_force (
    id BIGSERIAL PRIMARY KEY,
    version TEXT NOT NULL REFERENCES flow_versions (version),
    at_ms BIGINT NOT NULL,
    by_whom TEXT NOT NULL,
    why TEXT NOT NULL
);

CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('editor', 'viewer')),
    hash TEXT NOT NULL
);

-- Console sessions, by a SHA-256 of the cookie's token (the token itself is never stored).
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    csrf TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    used_ms BIGINT NOT NULL
);

-- Wrong passwords by user name and address, counted across every server.
CREATE TABLE login_failures (
    user_name TEXT NOT NULL,
    address TEXT NOT NULL,
    count BIGINT NOT NULL,
    last_ms BIGINT NOT NULL,
    PRIMARY KEY (user_name, address)
);

-- Every change, written in the same transaction as the change itself.
CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    who TEXT NOT NULL,
    what TEXT NOT NULL,
    note TEXT NOT NULL,
    before_text TEXT NOT NULL,
    after_text TEXT NOT NULL
);

-- The servers that read the store, each saying so every few seconds.
CREATE TABLE servers (
    server TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    seen_ms BIGINT NOT NULL,
        revision BIGINT NOT NULL           -- the revision it serves
);

-- Small named values: the bank-holiday feed cache, what was taken over from a state directory.
CREATE TABLE kv (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
