-- What the console says after a change, kept with the session for the next page it shows
-- (never taken from a URL, where anyone could write "Done" in a link).
ALTER TABLE sessions ADD COLUMN notice TEXT;
