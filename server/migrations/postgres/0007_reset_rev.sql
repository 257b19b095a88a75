-- The revision of the last batch that removed events (a replay after a rule change). The
-- model is kept current by applying what changed after its revision, which cannot express a
-- removal: a model (or a snapshot) older than this revision is derived again from scratch.
INSERT INTO meta (key, value) VALUES ('reset_rev', 0);
