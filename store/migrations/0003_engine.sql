-- The alert engine: silences, the silenced mark, and each target's memory
-- (hysteresis counters and rule history) so that a restart changes nothing.

ALTER TABLE alerts ADD COLUMN silenced INTEGER NOT NULL DEFAULT 0;

CREATE TABLE target_memory (
    target     TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE silences (
    id         INTEGER PRIMARY KEY,
    target     TEXT NOT NULL DEFAULT '',
    grp        TEXT NOT NULL DEFAULT '',
    rule       TEXT NOT NULL DEFAULT '',
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    comment    TEXT NOT NULL,
    creator    TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX silences_by_end ON silences (ends_at);
