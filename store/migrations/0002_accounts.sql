-- Accounts: users, browser and kiosk sessions, kiosk tokens, the audit log.
-- Secrets are never stored: passwords as bcrypt hashes, session ids and
-- kiosk tokens as the hex SHA-256 of the random value the client holds.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'admin')),
    password_hash TEXT NOT NULL,
    -- bumped on every password or role change: cached verifications of
    -- HTTP Basic credentials compare it and so never outlive a change.
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE kiosk_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

-- A session belongs to a user or to a kiosk token; deleting either ends it.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('user', 'kiosk')),
    user_id      INTEGER REFERENCES users(id) ON DELETE CASCADE,
    kiosk_id     INTEGER REFERENCES kiosk_tokens(id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,           -- absolute lifetime
    idle_seconds INTEGER NOT NULL,        -- 0: no inactivity timeout
    address      TEXT NOT NULL DEFAULT '',
    CHECK ((kind = 'user' AND user_id IS NOT NULL AND kiosk_id IS NULL)
        OR (kind = 'kiosk' AND kiosk_id IS NOT NULL AND user_id IS NULL))
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_kiosk ON sessions (kiosk_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Who did what, when, from where: logins, acks, tokens, user changes.
CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_by_action ON audit (action, id);
