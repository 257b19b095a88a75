-- Cloud cost (docs/cost.md).

-- Each billing period of each source: the version whose rows are stored, and how the last try
-- went. `state`: `ingested` (its current version is stored), `failed` (the last try was refused;
-- the rows of `version`, if any, are still stored), `waiting` (data files without a manifest yet).
CREATE TABLE cost_periods (
    source          TEXT             NOT NULL,
    billing_period  TEXT             NOT NULL,
    state           TEXT             NOT NULL,
    version         TEXT,
    tried_version   TEXT,
    format          TEXT,
    files           BIGINT           NOT NULL,
    rows_read       BIGINT           NOT NULL,
    rows_skipped    BIGINT           NOT NULL,
    billed          DOUBLE PRECISION NOT NULL,
    effective       DOUBLE PRECISION NOT NULL,
    -- A digest of the allocation rules the rows were allocated with: when the rules change, the
    -- poll reads the period again.
    rules_key       TEXT,
    -- Bad rows skipped (or that refused a file), JSON: [{file,row,column,message}], at most 50.
    problems        TEXT,
    error           TEXT,
    ingested_at     BIGINT,
    updated_at      BIGINT           NOT NULL,
    PRIMARY KEY (source, billing_period)
);

-- One UTC day's cost of one combination (nagare_core::cost::DailyCost), per source and billing
-- period: a period is replaced whole, in one transaction. `day` counts days from 1970-01-01.
CREATE TABLE cost_daily (
    source           TEXT             NOT NULL,
    billing_period   TEXT             NOT NULL,
    day              INTEGER          NOT NULL,
    provider         TEXT             NOT NULL,
    account_id       TEXT             NOT NULL,
    account_name     TEXT             NOT NULL,
    service_name     TEXT             NOT NULL,
    service_category TEXT             NOT NULL,
    charge_category  TEXT             NOT NULL,
    team             TEXT,
    service          TEXT,
    ci               INTEGER          NOT NULL,
    currency         TEXT             NOT NULL,
    billed           DOUBLE PRECISION NOT NULL,
    effective        DOUBLE PRECISION NOT NULL,
    list             DOUBLE PRECISION NOT NULL,
    rows_summed      BIGINT           NOT NULL
);
CREATE INDEX cost_daily_period ON cost_daily (source, billing_period);

-- Moves with every replaced period: each replica reloads the cost it holds when it does.
CREATE TABLE cost_generation (
    id         INTEGER PRIMARY KEY,
    generation BIGINT  NOT NULL
);
INSERT INTO cost_generation (id, generation) VALUES (1, 0);
