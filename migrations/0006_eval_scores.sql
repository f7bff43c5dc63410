-- Single-document evaluation: one 1-5 score per run, document, criterion, judge and trial.
CREATE TABLE eval_scores (
    id          TEXT    NOT NULL PRIMARY KEY,
    run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    document_id TEXT    NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    criterion   TEXT    NOT NULL,
    judge       TEXT    NOT NULL,
    trial       INTEGER NOT NULL CHECK (trial >= 1),
    score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    reason      TEXT    NOT NULL DEFAULT '',
    UNIQUE (run_id, document_id, criterion, judge, trial)
) STRICT;

CREATE INDEX eval_scores_by_document ON eval_scores (document_id);
