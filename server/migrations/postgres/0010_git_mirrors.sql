-- A git mirror's state, per repository: the ref tips its last read reached (so that the next
-- read takes only newer commits), how many commits it has written, and its last fetch and
-- error. Written in the transaction that stores a read's last commits.
CREATE TABLE git_mirrors (
    repo          TEXT    NOT NULL PRIMARY KEY,
    url           TEXT    NOT NULL,
    tips          TEXT    NOT NULL DEFAULT '[]',
    commits       BIGINT  NOT NULL DEFAULT 0,
    last_fetch_at BIGINT,
    last_new      BIGINT  NOT NULL DEFAULT 0,
    last_took_ms  BIGINT  NOT NULL DEFAULT 0,
    error         TEXT,
    error_at      BIGINT
);
