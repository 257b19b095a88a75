-- Runs started from the portal (docs/triggers.md): runbooks, GitHub workflows, GitLab
-- pipelines, and the requests waiting for approval. `doc` holds the run as the API shows it
-- (nagare_core::api::PortalRun, less what is computed per caller); the columns beside it are
-- what queries filter on and what the replica running it keeps current. Every change bumps
-- `version`, and is made only if `version` is still the one read (compare and swap), so two
-- replicas never both start, finish or answer the same run.
CREATE TABLE portal_runs (
    id                  TEXT    PRIMARY KEY,
    target              TEXT    NOT NULL,
    service             TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    requested_by        TEXT    NOT NULL,
    requested_at        BIGINT  NOT NULL,
    requester_name      TEXT    NOT NULL,
    -- The provider's run (`github`, `gitlab`), once known: the pipelines pages mark it.
    provider            TEXT,
    provider_run_id     TEXT,
    version             BIGINT  NOT NULL,
    -- The process running it (`host:pid:nonce`), its process group, and its last sign of life.
    holder              TEXT,
    host                TEXT,
    pgid                BIGINT,
    -- The process group leader's identity (boot id and start time), so that a later process
    -- given the same number is never taken for it.
    proc_start          TEXT,
    heartbeat_at        BIGINT,
    -- Who asked to cancel it; the replica running it reads this at its next heartbeat.
    cancel_requested_by TEXT,
    log_bytes           BIGINT  NOT NULL DEFAULT 0,
    log_dropped         BIGINT  NOT NULL DEFAULT 0,
    log_last_seq        BIGINT  NOT NULL DEFAULT 0,
    doc                 TEXT    NOT NULL
);
CREATE INDEX portal_runs_requested ON portal_runs (requested_at);
CREATE INDEX portal_runs_status ON portal_runs (status, requested_at);
CREATE INDEX portal_runs_provider ON portal_runs (provider, provider_run_id);

-- A run's output in chunks of whole lines, in order (`seq` from 1).
CREATE TABLE portal_run_log (
    run_id TEXT   NOT NULL,
    seq    BIGINT NOT NULL,
    stream TEXT   NOT NULL,
    at     BIGINT NOT NULL,
    text   TEXT   NOT NULL,
    PRIMARY KEY (run_id, seq)
);
