-- SyncMon's first schema. A shipped migration is never edited: add a new file.

CREATE TABLE targets (
    name        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    reachable   INTEGER NOT NULL DEFAULT 1,
    error       TEXT NOT NULL DEFAULT '',
    observed_at TEXT NOT NULL DEFAULT ''
);

-- The current process table of each target.
CREATE TABLE processes (
    target                 TEXT NOT NULL REFERENCES targets(name) ON DELETE CASCADE,
    program                TEXT NOT NULL,
    grp                    TEXT NOT NULL,
    status                 TEXT NOT NULL,
    lag_seconds            INTEGER,
    checkpoint_age_seconds INTEGER,
    observed_at            TEXT NOT NULL,
    PRIMARY KEY (target, program, grp)
);

-- Lag and checkpoint age over time, for charts and trend rules.
CREATE TABLE samples (
    id                     INTEGER PRIMARY KEY,
    target                 TEXT NOT NULL,
    program                TEXT NOT NULL,
    grp                    TEXT NOT NULL,
    at                     TEXT NOT NULL,
    status                 TEXT NOT NULL,
    lag_seconds            INTEGER,
    checkpoint_age_seconds INTEGER
);
CREATE INDEX samples_by_process ON samples (target, program, grp, at);
CREATE INDEX samples_by_time ON samples (at);

CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    target      TEXT NOT NULL,
    program     TEXT NOT NULL,
    grp         TEXT NOT NULL,
    rule        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('open', 'acked', 'resolved')),
    message     TEXT NOT NULL,
    speech_ko   TEXT NOT NULL,
    speech_en   TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    acked_by    TEXT,
    acked_at    TEXT,
    comment     TEXT,
    resolved_at TEXT,
    test        INTEGER NOT NULL DEFAULT 0
);
-- One active alert per (target, program, group, rule); test alerts stand apart.
CREATE UNIQUE INDEX alerts_one_active ON alerts (target, program, grp, rule)
    WHERE state IN ('open', 'acked') AND test = 0;
CREATE INDEX alerts_by_state ON alerts (state, id);

-- Who did what to an alert, and when.
CREATE TABLE alert_history (
    id       INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alert_history_by_alert ON alert_history (alert_id, id);

-- The event log. AUTOINCREMENT: a seq is never reused, even after pruning.
CREATE TABLE events (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    at   TEXT NOT NULL,
    body TEXT NOT NULL
);

-- How far each followed ggserr.log has been read.
CREATE TABLE errlog_offsets (
    path       TEXT PRIMARY KEY,
    offset     INTEGER NOT NULL,
    inode      INTEGER NOT NULL,
    size       INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);

-- One row that /readyz rewrites to prove the database takes writes.
CREATE TABLE health (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at TEXT NOT NULL
);
