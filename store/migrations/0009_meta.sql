-- The database's own facts. epoch names this event log: a client resuming
-- with since=…&epoch=E from another database (E differs) gets reset.
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta (key, value) VALUES ('epoch', lower(hex(randomblob(16))));
