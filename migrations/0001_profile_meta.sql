-- One row describing the profile this database belongs to.
CREATE TABLE profile_meta (
    singleton          INTEGER PRIMARY KEY CHECK (singleton = 1),
    profile_id         TEXT    NOT NULL,
    created_at         TEXT    NOT NULL,
    created_by_version TEXT    NOT NULL
) STRICT;
