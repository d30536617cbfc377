-- Service Manager targets: the deployment of a process, and what a target
-- reports beyond its processes (services, paths, heartbeats, transactions)
-- as one JSON document per target, replaced at every successful check.

ALTER TABLE processes ADD COLUMN deployment TEXT NOT NULL DEFAULT '';

CREATE TABLE target_depth (
    target      TEXT PRIMARY KEY REFERENCES targets(name) ON DELETE CASCADE,
    body        TEXT NOT NULL,
    observed_at TEXT NOT NULL
);
