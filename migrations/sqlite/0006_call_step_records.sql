-- Which record each step row came from, and its place in it: a batch of records written again
-- (a retry after a failure the writer could not be sure of) adds no row twice.
ALTER TABLE call_steps ADD COLUMN record TEXT;
ALTER TABLE call_steps ADD COLUMN seq INTEGER;
CREATE UNIQUE INDEX call_steps_record ON call_steps (record, seq);
