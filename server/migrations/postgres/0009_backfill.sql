-- Where a history backfill stands, per source, repository and phase (deployments, workflow
-- runs, pull requests, issues, compare): the next page to fetch, stored in the transaction
-- that stores the page before it, so that a backfill stopped at any point resumes without
-- fetching a page twice or storing anything twice.
CREATE TABLE backfill_state (
    source     TEXT    NOT NULL,
    repo       TEXT    NOT NULL,
    phase      TEXT    NOT NULL,
    next_url   TEXT,
    done       BIGINT  NOT NULL DEFAULT 0,
    pages      BIGINT  NOT NULL DEFAULT 0,
    items      BIGINT  NOT NULL DEFAULT 0,
    since      BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL,
    error      TEXT,
    PRIMARY KEY (source, repo, phase)
);
