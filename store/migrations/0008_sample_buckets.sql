-- Downsampled lag and checkpoint samples (downsample.go): raw samples older
-- than two hours become one row a minute per process, and those older than
-- a day one row per fifteen minutes, keeping each bucket's highest lag
-- and checkpoint age. start is Unix seconds, a multiple of width.
CREATE TABLE sample_buckets (
    target                 TEXT    NOT NULL,
    program                TEXT    NOT NULL,
    grp                    TEXT    NOT NULL,
    start                  INTEGER NOT NULL,
    width                  INTEGER NOT NULL,
    status                 TEXT    NOT NULL,
    lag_seconds            INTEGER,
    checkpoint_age_seconds INTEGER,
    PRIMARY KEY (target, program, grp, start, width)
) WITHOUT ROWID;
CREATE INDEX sample_buckets_by_age ON sample_buckets (width, start);
