-- The reason callers hear on a day with special hours, if ops gave one (a closure day's reason
-- is its value).
ALTER TABLE one_off_days ADD COLUMN reason TEXT;
