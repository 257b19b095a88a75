-- Canonical events, stored once: the latest version of each (kind, source, id).
-- Derived data (changes, lead times, incident links) lives in the server's memory and is
-- re-derived incrementally from these rows; `rev` lets every replica catch up on what changed.
CREATE TABLE events (
    kind        TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    rev         BIGINT  NOT NULL,
    received_at BIGINT  NOT NULL,
    body        TEXT    NOT NULL,
    PRIMARY KEY (kind, source, id)
);
CREATE INDEX events_rev ON events (rev);

-- Every payload as received, accepted or not, so data can be replayed when mappings change.
CREATE TABLE raw_deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at BIGINT  NOT NULL,
    source      TEXT    NOT NULL,
    delivery_id TEXT,
    content_type TEXT,
    size_bytes  BIGINT  NOT NULL,
    body        TEXT,
    verdict     TEXT    NOT NULL,
    detail      TEXT
);
CREATE INDEX raw_deliveries_received ON raw_deliveries (received_at);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('rev', 0);
