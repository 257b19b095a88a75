-- The time of the state an event shows, for sources that send an object's state piecemeal and
-- out of order (GitHub): a delivery is merged into the stored event, and the version decides
-- which state is later. 0 for events that are simply replaced (the canonical API).
ALTER TABLE events ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

-- The event type a source named for a delivery (GitHub's X-GitHub-Event), so that a replay
-- maps the raw payload again exactly as it was first mapped.
ALTER TABLE raw_deliveries ADD COLUMN event TEXT;
