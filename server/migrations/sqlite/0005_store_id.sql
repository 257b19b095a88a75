-- A random id for this database, so that a model snapshot derived from another database (or
-- from this file before it was replaced) is never taken for this one's.
INSERT INTO meta (key, value) VALUES ('store_id', abs(random() % 9007199254740991));
