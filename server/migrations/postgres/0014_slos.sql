-- Service level objectives (docs/slo.md).

-- SLOs made in the portal (those of definition files are read at start, not stored). `doc` is
-- the definition (nagare_core::slo::SloDef) as JSON.
CREATE TABLE slo_defs (
    id         TEXT   PRIMARY KEY,
    service    TEXT   NOT NULL,
    doc        TEXT   NOT NULL,
    created_by TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    updated_by TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

-- An SLI's counts per bucket (`start_ms` on the grid of `slo.step_secs`): synced from
-- Prometheus or pushed as `sli_sample` events. Writing a bucket again replaces it.
-- `written_at` lets every replica pick up what another wrote.
CREATE TABLE sli_buckets (
    slo_id     TEXT             NOT NULL,
    start_ms   BIGINT           NOT NULL,
    good       DOUBLE PRECISION NOT NULL,
    total      DOUBLE PRECISION NOT NULL,
    source     TEXT             NOT NULL,
    written_at BIGINT           NOT NULL,
    PRIMARY KEY (slo_id, start_ms)
);
CREATE INDEX sli_buckets_written ON sli_buckets (written_at);

-- How far each SLO's Prometheus sync has read: every bucket before `synced_to` is stored.
-- `query` is the queries it was read with; when they change the SLO is read again whole.
CREATE TABLE slo_sync (
    slo_id     TEXT   PRIMARY KEY,
    query      TEXT   NOT NULL,
    synced_to  BIGINT NOT NULL,
    last_error TEXT,
    updated_at BIGINT NOT NULL
);

-- The alert level each SLO was last seen at, and since when: the notifier posts changes.
CREATE TABLE slo_alert_state (
    slo_id TEXT   PRIMARY KEY,
    level  TEXT   NOT NULL,
    since  BIGINT NOT NULL
);

-- Notifications, one row per thing told (an alert change, a deployment's excess burn) and
-- team: inserted before posting, so that replicas never post one twice.
CREATE TABLE slo_notices (
    key        TEXT   PRIMARY KEY,
    slo_id     TEXT   NOT NULL,
    team       TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at    BIGINT,
    error      TEXT
);

-- When each SLO's counts were last dropped (its SLI changed, it was deleted or made again):
-- every replica drops what it holds of that SLO when the instant here moves.
CREATE TABLE slo_resets (
    slo_id   TEXT   PRIMARY KEY,
    reset_at BIGINT NOT NULL
);
