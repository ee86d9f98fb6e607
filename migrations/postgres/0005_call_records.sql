-- How each call went, for coordinators' reports. A call is joined across servers by a keyed
-- hash of its CallSid: no SID, number, name or words said is kept. `day` and `week_hour` are
-- the UK date and hour of the week (Monday 00:00 is 0) the call started, so reports group in
-- the store. Kept `--keep-call-records-days` (400), then only the daily totals in call_days.
CREATE TABLE calls (
    call TEXT PRIMARY KEY,      -- keyed hash of the CallSid
    line TEXT,                  -- the line called (NULL until its first webhook is recorded)
    started_ms BIGINT,
    day TEXT,                   -- YYYY-MM-DD, UK
    week_hour BIGINT,           -- 0-167, UK
    state TEXT,                 -- the line then: open, closed, holiday, closure, emergency
    answered_ms BIGINT,         -- when a person first answered
    team TEXT,                  -- the step that put the caller through to them
    call_back TEXT,             -- a request for a call back: taken, already-asked, not-taken
    last_step TEXT,             -- where the call last waited
    last_ms BIGINT,
    ended_ms BIGINT,            -- when the line itself ended the call (a goodbye)
    status TEXT,                -- Twilio's final CallStatus
    duration_s BIGINT,          -- and CallDuration
    heard_ms BIGINT NOT NULL    -- when any server last heard of the call: ages out any record
);
CREATE INDEX calls_day ON calls (day);
-- Each choice a caller made at a menu (its key, or no-input, invalid, any-key) and each
-- connection attempt's result, on the day (UK) it happened.
CREATE TABLE call_steps (
    call TEXT NOT NULL,
    line TEXT NOT NULL,         -- the line called
    day TEXT NOT NULL,
    step TEXT NOT NULL,         -- line/step
    choice TEXT,
    result TEXT                 -- DialCallStatus
);
CREATE INDEX call_steps_day ON call_steps (day);
-- Daily totals of the calls older than the records kept.
CREATE TABLE call_days (
    line TEXT NOT NULL,
    day TEXT NOT NULL,
    calls BIGINT NOT NULL,
    answered BIGINT NOT NULL,
    abandoned BIGINT NOT NULL,
    closed_calls BIGINT NOT NULL,
    call_backs BIGINT NOT NULL,
    PRIMARY KEY (line, day)
);
-- How long each request for a call back waited until the team called back (no number).
CREATE TABLE call_back_waits (
    line TEXT NOT NULL,
    day TEXT NOT NULL,          -- the UK date it was asked for
    waited_s BIGINT NOT NULL
);
CREATE INDEX call_back_waits_day ON call_back_waits (day);
-- The records of each day that is over (by two days, so no record of it is still to come),
-- grouped as reports read them: a year's report reads these, not a million records.
-- `call-summary-through` in kv is the last day summed up.
CREATE TABLE call_summary (
    line TEXT NOT NULL,
    day TEXT NOT NULL,
    week_hour BIGINT NOT NULL,
    state TEXT NOT NULL,
    ended TEXT NOT NULL,
    at_step TEXT NOT NULL,
    call_backs BIGINT NOT NULL,
    calls BIGINT NOT NULL
);
CREATE INDEX call_summary_day ON call_summary (day);
CREATE TABLE call_wait_summary (
    line TEXT NOT NULL,
    day TEXT NOT NULL,
    wait_s BIGINT NOT NULL,
    calls BIGINT NOT NULL
);
CREATE INDEX call_wait_summary_day ON call_wait_summary (day);
CREATE TABLE call_step_summary (
    line TEXT NOT NULL,
    day TEXT NOT NULL,
    step TEXT NOT NULL,
    choice TEXT NOT NULL,
    result TEXT NOT NULL,
    calls BIGINT NOT NULL
);
CREATE INDEX call_step_summary_day ON call_step_summary (day);
CREATE TABLE call_status_summary (
    line TEXT NOT NULL,
    day TEXT NOT NULL,
    status TEXT NOT NULL,
    calls BIGINT NOT NULL,
    seconds BIGINT NOT NULL
);
CREATE INDEX call_status_summary_day ON call_status_summary (day);
