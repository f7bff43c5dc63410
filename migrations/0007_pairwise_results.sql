-- Pairwise comparison: which of two documents a judge preferred (NULL winner = tie), and which
-- one it was shown first, so position bias can be studied.
CREATE TABLE pairwise_results (
    id          TEXT    NOT NULL PRIMARY KEY,
    run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    doc_a_id    TEXT    NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    doc_b_id    TEXT    NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    judge       TEXT    NOT NULL,
    trial       INTEGER NOT NULL CHECK (trial >= 1),
    winner      TEXT    CHECK (winner IN ('A', 'B')),
    reason      TEXT    NOT NULL DEFAULT '',
    shown_first TEXT    NOT NULL CHECK (shown_first IN ('A', 'B')),
    CHECK (doc_a_id <> doc_b_id),
    UNIQUE (run_id, doc_a_id, doc_b_id, judge, trial)
) STRICT;

CREATE INDEX pairwise_by_run ON pairwise_results (run_id);
