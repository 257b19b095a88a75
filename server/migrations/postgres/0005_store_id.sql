-- A random id for this database, so that a model snapshot derived from another database is
-- never taken for this one's.
INSERT INTO meta (key, value) VALUES ('store_id', floor(random() * 9007199254740991)::bigint);
