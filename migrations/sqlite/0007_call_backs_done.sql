-- Who closed each request for a call back, for the Done list (who did what, and when).
ALTER TABLE call_backs ADD COLUMN closed_by TEXT;
-- The request each wait for a call back was, so that reopening a request takes its wait back.
ALTER TABLE call_back_waits ADD COLUMN call_back BIGINT;
