-- Versions in the order they were first published, which numbers them: read from this index
-- alone, without the files each row holds.
CREATE INDEX flow_versions_in_order ON flow_versions (first_ms, version);
