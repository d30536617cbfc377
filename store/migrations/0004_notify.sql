-- Outbound notifications. The event log is the outbox: an alert event is
-- recorded in the transaction that changes the alert, so it cannot be lost;
-- these tables only say how far each channel has got through the log.

-- Each channel's cursor: every event with seq <= seq is handled (delivered,
-- filtered out, or given up on). A new channel starts at the head.
CREATE TABLE notify_cursors (
    channel    TEXT PRIMARY KEY,
    seq        INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);

-- Delivery attempts of the event a channel is working on (a row exists only
-- after a failure), and the ones it gave up on: gave_up_at set, kept so that
-- an admin page and metrics can show them.
CREATE TABLE notify_deliveries (
    channel          TEXT NOT NULL,
    seq              INTEGER NOT NULL,
    event_type       TEXT NOT NULL,
    alert_id         INTEGER NOT NULL,
    attempts         INTEGER NOT NULL,
    first_attempt_at TEXT NOT NULL,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT NOT NULL,   -- never the URL: it holds the token
    gave_up_at       TEXT,
    PRIMARY KEY (channel, seq)
);
CREATE INDEX notify_deliveries_failed ON notify_deliveries (gave_up_at) WHERE gave_up_at IS NOT NULL;

-- What each channel knows of each active alert: the severity it last saw in
-- the log (to tell a rise from a fall) and the severity it last told ('' =
-- it never spoke of this alert, so its ack and resolve are not news there).
CREATE TABLE notify_alerts (
    channel  TEXT NOT NULL,
    alert_id INTEGER NOT NULL,
    seen     TEXT NOT NULL,
    told     TEXT NOT NULL,
    PRIMARY KEY (channel, alert_id)
);
