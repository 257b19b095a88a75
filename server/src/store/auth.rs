//! Sign-in state in the same database as the events, so several replicas share it: sessions,
//! logins in flight, API tokens, and the append-only audit log. Session ids and token secrets
//! are stored only as SHA-256 hashes.

use super::{Result, Store, StoreError};
use nagare_core::api::{ApiTokenRow, AuditRow, Page, Role, TokenScope};
use nagare_core::Timestamp;

/// A signed-in user's session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
    pub teams: Vec<String>,
    pub csrf: String,
    /// Kept for the provider's logout (`id_token_hint`); never logged.
    pub id_token: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// The absolute end of the session.
    pub expires_at: i64,
}

/// A login between the redirect to the provider and its callback.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginAttempt {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
    /// SHA-256 of the `nagare_login` cookie of the browser that started the sign-in.
    pub browser_hash: String,
    pub created_at: i64,
}

/// One audit entry to append.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub success: bool,
    pub detail: String,
    pub ip: Option<String>,
}

type SessionTuple = (
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
    i64,
);

type TokenTuple = (
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
    String,
);

type AuditTuple = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
);

const TOKEN_COLUMNS: &str = "id, name, prefix, scopes, created_by, created_at, expires_at, last_used_at, revoked_at, teams, services";

/// Longest audit detail kept; the rest is cut, and the cut is marked.
pub const AUDIT_DETAIL_CHARS: usize = 512;

/// `detail` as the audit log stores it: control characters escaped, cut at
/// [`AUDIT_DETAIL_CHARS`] with a note of the full length.
pub fn audit_detail(detail: &str) -> String {
    nagare_core::text::capped(detail, AUDIT_DETAIL_CHARS)
}

fn scopes_text(scopes: &[TokenScope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_scopes(text: &str) -> Vec<TokenScope> {
    text.split(',').filter_map(|s| s.parse().ok()).collect()
}

fn token_row(t: TokenTuple) -> ApiTokenRow {
    ApiTokenRow {
        id: t.0,
        name: t.1,
        prefix: t.2,
        scopes: parse_scopes(&t.3),
        created_by: t.4,
        created_at: Timestamp(t.5),
        expires_at: t.6.map(Timestamp),
        last_used_at: t.7.map(Timestamp),
        revoked_at: t.8.map(Timestamp),
        teams: serde_json::from_str(&t.9).unwrap_or_default(),
        services: serde_json::from_str(&t.10).unwrap_or_default(),
    }
}

fn json_list(items: &[String]) -> Result<String> {
    serde_json::to_string(items).map_err(|e| StoreError::Config(e.to_string()))
}

impl Store {
    pub async fn create_session(&self, id_hash: &str, s: &SessionRow) -> Result<()> {
        let teams =
            serde_json::to_string(&s.teams).map_err(|e| StoreError::Config(e.to_string()))?;
        on_backend!(self, p => sqlx::query(
            "INSERT INTO sessions (id_hash, subject, name, email, role, teams, csrf, id_token, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )
        .bind(id_hash).bind(&s.subject).bind(&s.name).bind(&s.email).bind(s.role.as_str())
        .bind(teams).bind(&s.csrf).bind(&s.id_token).bind(s.created_at).bind(s.last_seen_at).bind(s.expires_at)
        .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>> {
        let row: Option<SessionTuple> = on_backend!(self, p => sqlx::query_as(
            "SELECT subject, name, email, role, teams, csrf, id_token, created_at, last_seen_at, expires_at \
             FROM sessions WHERE id_hash = $1"
        ).bind(id_hash).fetch_optional(p).await)?;
        Ok(row.map(|r| SessionRow {
            subject: r.0,
            name: r.1,
            email: r.2,
            role: r.3.parse().unwrap_or(Role::Viewer),
            teams: serde_json::from_str(&r.4).unwrap_or_default(),
            csrf: r.5,
            id_token: r.6,
            created_at: r.7,
            last_seen_at: r.8,
            expires_at: r.9,
        }))
    }

    pub async fn touch_session(&self, id_hash: &str, now: i64) -> Result<()> {
        on_backend!(self, p => sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
            .bind(id_hash).bind(now).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        on_backend!(self, p => sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Removes sessions past their absolute end or idle since before `idle_before`, and logins
    /// started before `login_before`.
    pub async fn purge_sessions(
        &self,
        now: i64,
        idle_before: i64,
        login_before: i64,
    ) -> Result<()> {
        on_backend!(self, p => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2")
            .bind(now).bind(idle_before).execute(p).await.map(|_| ()))?;
        on_backend!(self, p => sqlx::query("DELETE FROM login_attempts WHERE created_at < $1")
            .bind(login_before).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn save_login_attempt(&self, a: &LoginAttempt) -> Result<()> {
        on_backend!(self, p => sqlx::query(
            "INSERT INTO login_attempts (state, nonce, pkce_verifier, return_to, browser_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
        ).bind(&a.state).bind(&a.nonce).bind(&a.pkce_verifier).bind(&a.return_to).bind(&a.browser_hash).bind(a.created_at)
        .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Takes (and deletes) the login of `state`: each can complete once.
    pub async fn take_login_attempt(&self, state: &str) -> Result<Option<LoginAttempt>> {
        let row: Option<(String, String, String, String, String, i64)> = on_backend!(self, p => sqlx::query_as(
            "DELETE FROM login_attempts WHERE state = $1 RETURNING state, nonce, pkce_verifier, return_to, browser_hash, created_at"
        ).bind(state).fetch_optional(p).await)?;
        Ok(row.map(|r| LoginAttempt {
            state: r.0,
            nonce: r.1,
            pkce_verifier: r.2,
            return_to: r.3,
            browser_hash: r.4,
            created_at: r.5,
        }))
    }

    pub async fn create_token(&self, t: &ApiTokenRow, hash: &str) -> Result<()> {
        on_backend!(self, p => sqlx::query(
            "INSERT INTO api_tokens (id, name, prefix, hash, scopes, created_by, created_at, expires_at, teams, services) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        )
        .bind(&t.id).bind(&t.name).bind(&t.prefix).bind(hash).bind(scopes_text(&t.scopes))
        .bind(&t.created_by).bind(t.created_at.0).bind(t.expires_at.map(|e| e.0))
        .bind(json_list(&t.teams)?).bind(json_list(&t.services)?)
        .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Every token, newest first.
    pub async fn tokens(&self) -> Result<Vec<ApiTokenRow>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at DESC, id");
        let rows: Vec<TokenTuple> = on_backend!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).fetch_all(p).await)?;
        Ok(rows.into_iter().map(token_row).collect())
    }

    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<ApiTokenRow>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE hash = $1");
        let row: Option<TokenTuple> = on_backend!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(hash).fetch_optional(p).await)?;
        Ok(row.map(token_row))
    }

    pub async fn touch_token(&self, id: &str, now: i64) -> Result<()> {
        on_backend!(self, p => sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(id).bind(now).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Revokes a token at once; `None` when there is no such token.
    pub async fn revoke_token(&self, id: &str, now: i64) -> Result<Option<ApiTokenRow>> {
        on_backend!(self, p => sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL"
        ).bind(id).bind(now).execute(p).await.map(|_| ()))?;
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1");
        let row: Option<TokenTuple> = on_backend!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(p).await)?;
        Ok(row.map(token_row))
    }

    pub async fn audit(&self, e: &AuditEntry<'_>) -> Result<()> {
        self.audit_repeated(e, 1, super::now_millis(), None).await
    }

    /// Appends one entry standing for `count` occurrences from `at` to `until`. The detail is
    /// capped ([`audit_detail`]), and so is the actor.
    pub async fn audit_repeated(
        &self,
        e: &AuditEntry<'_>,
        count: u64,
        at: i64,
        until: Option<i64>,
    ) -> Result<()> {
        let detail = audit_detail(&e.detail);
        let actor = nagare_core::text::capped(e.actor, 200);
        let ip = e.ip.as_deref().map(|ip| nagare_core::text::capped(ip, 200));
        on_backend!(self, p => sqlx::query(
            "INSERT INTO audit_log (at, actor, action, outcome, detail, ip, count, until_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(at).bind(&actor).bind(e.action)
        .bind(if e.success { "success" } else { "failure" }).bind(&detail).bind(&ip)
        .bind(i64::try_from(count).unwrap_or(i64::MAX)).bind(until)
        .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The audit log, newest first, filtered by exact action and actor when given.
    pub async fn audit_page(
        &self,
        action: Option<&str>,
        actor: Option<&str>,
        page: u32,
        per_page: u32,
    ) -> Result<Page<AuditRow>> {
        let filter = "($1 = '' OR action = $1) AND ($2 = '' OR actor = $2)";
        let count_sql = format!("SELECT COUNT(*) FROM audit_log WHERE {filter}");
        let rows_sql = format!(
            "SELECT id, at, actor, action, outcome, detail, ip, count, until_at FROM audit_log WHERE {filter} \
             ORDER BY id DESC LIMIT $3 OFFSET $4"
        );
        let (action, actor) = (action.unwrap_or(""), actor.unwrap_or(""));
        let total: i64 = on_backend!(self, p => sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql.as_str()))
            .bind(action).bind(actor).fetch_one(p).await)?;
        let offset = i64::from(page.saturating_sub(1)) * i64::from(per_page);
        let rows: Vec<AuditTuple> = on_backend!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(rows_sql.as_str()))
            .bind(action).bind(actor).bind(i64::from(per_page)).bind(offset).fetch_all(p).await)?;
        Ok(Page {
            items: rows
                .into_iter()
                .map(|r| AuditRow {
                    id: r.0,
                    at: Timestamp(r.1),
                    actor: r.2,
                    action: r.3,
                    outcome: r.4,
                    detail: r.5,
                    ip: r.6,
                    count: r.7.max(1) as u64,
                    until: r.8.map(Timestamp),
                })
                .collect(),
            total: total.max(0) as u64,
            page,
            per_page,
        })
    }
}
