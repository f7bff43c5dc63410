-- A combine task's source documents (a JSON array of document ids), fixed when the task is
-- planned, so a resumed run combines the same documents it chose before the crash.
ALTER TABLE tasks ADD COLUMN sources TEXT CHECK (sources IS NULL OR json_valid(sources));
-- The journal attempt after which a task's answers count toward its one repair: "retry
-- failed" sets it, so a retried judge task gets a fresh answer and its own repair.
ALTER TABLE tasks ADD COLUMN retry_after_attempt INTEGER NOT NULL DEFAULT 0
    CHECK (retry_after_attempt >= 0);
