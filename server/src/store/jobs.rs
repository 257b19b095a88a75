//! Leases for background jobs: with several replicas on one database, each run of a job happens
//! on one replica only. A lease is a row per job naming its holder until a time; taking it
//! succeeds when it is free, expired, or already ours.

use super::{Result, Store};

impl Store {
    /// Takes the lease of job `name` for `holder` until `until`; whether it was taken.
    pub async fn take_lease(&self, name: &str, holder: &str, now: i64, until: i64) -> Result<bool> {
        let taken = on_backend!(self, p => sqlx::query(
            "INSERT INTO job_leases (name, holder, lease_until) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until \
             WHERE job_leases.lease_until <= $4 OR job_leases.holder = excluded.holder"
        ).bind(name).bind(holder).bind(until).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(taken == 1)
    }

    /// Records how a run of job `name` by `holder` ended; the lease stays with it.
    pub async fn record_job_run(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        result: &str,
    ) -> Result<()> {
        on_backend!(self, p => sqlx::query(
            "UPDATE job_leases SET last_run_at = $3, last_result = $4 WHERE name = $1 AND holder = $2"
        ).bind(name).bind(holder).bind(now).bind(nagare_core::text::capped(result, 500)).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Who holds the lease of job `name`, and until when (ms).
    pub async fn job_lease(&self, name: &str) -> Result<Option<(String, i64)>> {
        Ok(on_backend!(self, p => sqlx::query_as(
            "SELECT holder, lease_until FROM job_leases WHERE name = $1"
        ).bind(name).fetch_optional(p).await)?)
    }

    /// Frees the lease of job `name` if `holder` has it (a process stopping).
    pub async fn release_lease(&self, name: &str, holder: &str, now: i64) -> Result<()> {
        on_backend!(self, p => sqlx::query(
            "UPDATE job_leases SET lease_until = $3 WHERE name = $1 AND holder = $2"
        ).bind(name).bind(holder).bind(now).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// When job `name` last ran, and how it ended.
    pub async fn last_job_run(&self, name: &str) -> Result<Option<(i64, String)>> {
        let row: Option<(Option<i64>, Option<String>)> = on_backend!(self, p => sqlx::query_as(
            "SELECT last_run_at, last_result FROM job_leases WHERE name = $1"
        ).bind(name).fetch_optional(p).await)?;
        Ok(row.and_then(|(at, r)| Some((at?, r.unwrap_or_default()))))
    }
}
