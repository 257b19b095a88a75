-- What the outside probe asked for (issue 7).

-- A sign-in is bound to the browser that started it: the hash of its `nagare_login` cookie.
ALTER TABLE login_attempts ADD COLUMN browser_hash TEXT NOT NULL DEFAULT '';

-- Tokens may be limited to some teams' services and to named services (JSON arrays; [] = all).
ALTER TABLE api_tokens ADD COLUMN teams TEXT NOT NULL DEFAULT '[]';
ALTER TABLE api_tokens ADD COLUMN services TEXT NOT NULL DEFAULT '[]';

-- Repeated entries (failed sign-ins from one address) are written once, with their count and
-- the time range [at, until_at].
ALTER TABLE audit_log ADD COLUMN count BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit_log ADD COLUMN until_at BIGINT;

-- Payloads are kept as the bytes received (text columns cannot hold NUL on PostgreSQL, nor
-- invalid UTF-8). A rejected payload over the size cap keeps its head; `payload_sha256` is the
-- digest of the whole. `stored_bytes` is what the row holds, for the size-based retention.
ALTER TABLE raw_deliveries ADD COLUMN payload BYTEA;
ALTER TABLE raw_deliveries ADD COLUMN payload_sha256 TEXT;
ALTER TABLE raw_deliveries ADD COLUMN truncated BIGINT NOT NULL DEFAULT 0;
ALTER TABLE raw_deliveries ADD COLUMN stored_bytes BIGINT NOT NULL DEFAULT 0;
UPDATE raw_deliveries SET stored_bytes = COALESCE(octet_length(body), 0);

-- Background jobs take a lease, so that with several replicas each run happens once.
CREATE TABLE job_leases (
    name        TEXT    PRIMARY KEY,
    holder      TEXT    NOT NULL,
    lease_until BIGINT  NOT NULL,
    last_run_at BIGINT,
    last_result TEXT
);
