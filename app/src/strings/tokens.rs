//! The API tokens page's strings.

pub const TOKENS_TITLE: &str = "API tokens";
pub const TOKENS_CAPTION: &str =
    "Tokens let scripts and CI call the API without signing in. Only admins see this page.";
pub const TOKENS_HOW: &str = "Send a token in the `Authorization` header. A token with the `ingest` scope lets a CI job report its deployments:";
pub fn tokens_curl(origin: &str) -> String {
    format!(
        "curl -H \"Authorization: Bearer ngr_…\" -H \"Content-Type: application/json\" \\\n  -X POST {origin}/api/v1/events -d @deployment.json"
    )
}
pub const TOKENS_STORED: &str = "Nagare stores only a hash of each token: the secret is shown once, when you create it. Revoking a token stops it at once.";
pub const NEW_TOKEN: &str = "New token";
pub const TOKEN_NAME: &str = "Name";
pub const TOKEN_NAME_HINT: &str = "What uses it, e.g. ci-ingest";
pub const TOKEN_SCOPES: &str = "Scopes";
pub const SCOPE_READ_HINT: &str = "read every GET endpoint";
pub const SCOPE_INGEST_HINT: &str = "send events (POST /api/v1/events)";
pub const SCOPE_TRIGGER_HINT: &str = "trigger pipeline runs and runbooks";
pub const TOKEN_EXPIRY: &str = "Expires (optional)";
pub const TOKEN_EXPIRY_HINT: &str = "At the end of that day, UTC. Leave empty for no expiry.";
pub const TOKEN_CREATE: &str = "Create token";
pub const TOKEN_CREATING: &str = "Creating…";
pub const TOKEN_NAME_MISSING: &str = "Give the token a name, e.g. ci-ingest.";
pub const TOKEN_SCOPES_MISSING: &str = "Choose at least one scope: read, ingest or trigger.";
pub const TOKEN_BAD_DATE: &str = "The expiry is not a date.";
pub const TOKEN_LIMIT: &str = "Limit to (optional)";
pub const TOKEN_LIMIT_HINT: &str = "Tick teams or services to limit what the token reads and writes to their services (and those services' repositories). Nothing ticked: every service.";
pub const LIMIT_TEAMS: &str = "Teams";
pub const LIMIT_SERVICES: &str = "Services";
pub const LIMIT_TEAMS_SHORT: &str = "teams";
pub const LIMIT_SERVICES_SHORT: &str = "services";
pub const LIMIT_NONE_KNOWN: &str = "None yet: they appear once events name them.";
pub const EVERY_SERVICE: &str = "every service";
pub const COL_LIMIT: &str = "Limited to";
pub fn token_created(name: &str) -> String {
    format!("Token “{name}” created")
}
pub const TOKEN_ONCE: &str = "Copy it now. You won't see it again: Nagare keeps only its hash.";
pub const COPY: &str = "Copy";
pub const COPIED: &str = "Copied";
pub const COPY_FAILED: &str = "Copying failed: select the token and copy it by hand.";
pub const DONE: &str = "Done";
pub const WHAT_TOKENS: &str = "the API tokens";
pub const NO_TOKENS: &str = "No API tokens yet";
pub const NO_TOKENS_HINT: &str =
    "Create one above, then send it as `Authorization: Bearer <token>` from CI or a script.";
pub const COL_NAME: &str = "Name";
pub const COL_PREFIX: &str = "Prefix";
pub const COL_SCOPES: &str = "Scopes";
pub const COL_CREATED_BY: &str = "Created by";
pub const COL_CREATED: &str = "Created";
pub const COL_EXPIRES: &str = "Expires";
pub const COL_LAST_USED: &str = "Last used";
pub const COL_ACTIONS: &str = "Actions";
pub const NEVER: &str = "never";
pub const TOKEN_ACTIVE: &str = "active";
pub const TOKEN_REVOKED: &str = "revoked";
pub const TOKEN_EXPIRED: &str = "expired";
pub const REVOKE: &str = "Revoke";
pub const CONFIRM_REVOKE: &str = "Confirm revoke";
pub const CANCEL: &str = "Cancel";
pub fn revoke_label(name: &str) -> String {
    format!("Revoke the token “{name}”")
}
