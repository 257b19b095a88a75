-- How far a backfill phase has to go: the pages its list has (from the Link header's
-- rel="last"; a phase that stops at its `since` ends sooner) and when it started, for the
-- Sources page's estimate of the time left.
ALTER TABLE backfill_state ADD COLUMN total_pages BIGINT;
ALTER TABLE backfill_state ADD COLUMN started_at BIGINT;
