-- Requests for a call back that callers left while a line was closed. The number is kept only
-- to call them back, and the row is deleted a set number of days after it was closed.
CREATE TABLE call_backs (
    id BIGSERIAL PRIMARY KEY,
    number TEXT NOT NULL,              -- E.164
    line TEXT NOT NULL,                -- the line whose team calls back
    asked_ms BIGINT NOT NULL,
    claimed_by TEXT,                   -- the console user working on it
    tries BIGINT NOT NULL DEFAULT 0,   -- calls that found nobody
    closed_ms BIGINT,                  -- NULL while open
    outcome TEXT,                      -- 'called back' or 'closed', once closed
    note TEXT
);
-- One open request per number: a caller asking again is told it is already held.
CREATE UNIQUE INDEX call_backs_one_open ON call_backs (number) WHERE closed_ms IS NULL;
