-- Counters of what a source's deliveries became that are not rows of raw_deliveries: a
-- redelivery answered as a duplicate is not stored again, but the Sources page counts it.
CREATE TABLE source_stats (
    source TEXT   NOT NULL,
    stat   TEXT   NOT NULL,
    value  BIGINT NOT NULL,
    PRIMARY KEY (source, stat)
);

-- The Sources page counts a source's deliveries by verdict, and lists them by verdict and event.
CREATE INDEX raw_deliveries_source_verdict ON raw_deliveries (source, verdict, id);
