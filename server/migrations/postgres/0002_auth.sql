-- Single sign-on: server-side sessions, pending logins, API tokens and the audit log.
-- Secrets are never stored: session ids and token secrets are kept as SHA-256 hashes.
CREATE TABLE sessions (
    id_hash      TEXT    PRIMARY KEY,
    subject      TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    email        TEXT,
    role         TEXT    NOT NULL,
    teams        TEXT    NOT NULL,
    csrf         TEXT    NOT NULL,
    id_token     TEXT,
    created_at   BIGINT  NOT NULL,
    last_seen_at BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- A login in flight: the PKCE verifier and nonce stay here, never in the browser.
CREATE TABLE login_attempts (
    state        TEXT    PRIMARY KEY,
    nonce        TEXT    NOT NULL,
    pkce_verifier TEXT   NOT NULL,
    return_to    TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL
);

CREATE TABLE api_tokens (
    id           TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    hash         TEXT    NOT NULL UNIQUE,
    scopes       TEXT    NOT NULL,
    created_by   TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

-- Append-only: the triggers refuse changes and deletions.
CREATE TABLE audit_log (
    id      BIGSERIAL PRIMARY KEY,
    at      BIGINT  NOT NULL,
    actor   TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    outcome TEXT    NOT NULL,
    detail  TEXT    NOT NULL,
    ip      TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
