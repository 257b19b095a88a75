-- Tasks an administrator asked for from the Sources page (a history backfill, a git mirror
-- sync), run by the background job of their kind on whichever replica holds its lease. A task
-- not finished is run (again) by that job: one that a stopped process left half-done resumes
-- from the backfill's cursors.
CREATE TABLE source_tasks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    action       TEXT    NOT NULL,
    repo         TEXT,
    since        BIGINT,
    requested_by TEXT    NOT NULL,
    requested_at BIGINT  NOT NULL,
    started_at   BIGINT,
    finished_at  BIGINT,
    failed       BIGINT  NOT NULL DEFAULT 0,
    outcome      TEXT
);
-- At most one open task of each action: asking again while one is queued or running is
-- refused, not queued twice.
CREATE UNIQUE INDEX source_tasks_one_open ON source_tasks (action) WHERE finished_at IS NULL;
