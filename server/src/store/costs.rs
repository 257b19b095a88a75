//! Cloud cost (docs/cost.md): each billing period's state (`cost_periods`), its daily rows
//! (`cost_daily`), replaced whole in one transaction, and the generation every replica watches
//! (`cost_generation`).

use super::{now_millis, Result, Store, StoreError, Tx};
use nagare_core::cost::DailyCost;

/// Rows per multi-row insert: 18 binds each, well under both backends' limits.
const CHUNK: usize = 1000;

/// Problems kept per period.
pub const MAX_PROBLEMS: usize = 50;

/// A billing period of a source, as stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PeriodRow {
    pub source: String,
    pub billing_period: String,
    /// `ingested`, `failed` or `waiting`.
    pub state: String,
    /// The version whose rows are stored.
    pub version: Option<String>,
    /// The version last tried.
    pub tried_version: Option<String>,
    pub format: Option<String>,
    pub files: i64,
    pub rows_read: i64,
    pub rows_skipped: i64,
    pub billed: f64,
    pub effective: f64,
    pub rules_key: Option<String>,
    /// JSON: `[{file,row,column,message}]`.
    pub problems: Option<String>,
    pub error: Option<String>,
    pub ingested_at: Option<i64>,
    pub updated_at: i64,
}

/// What an ingested version was read from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PeriodMeta {
    pub version: String,
    pub format: String,
    pub files: i64,
    pub rows_read: i64,
    pub rows_skipped: i64,
    pub rules_key: String,
    pub problems: Option<String>,
}

type PeriodTuple = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    i64,
    i64,
    f64,
    f64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    i64,
);

fn period_of(t: PeriodTuple) -> PeriodRow {
    PeriodRow {
        source: t.0,
        billing_period: t.1,
        state: t.2,
        version: t.3,
        tried_version: t.4,
        format: t.5,
        files: t.6,
        rows_read: t.7,
        rows_skipped: t.8,
        billed: t.9,
        effective: t.10,
        rules_key: t.11,
        problems: t.12,
        error: t.13,
        ingested_at: t.14,
        updated_at: t.15,
    }
}

type DailyTuple = (
    i32,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i32,
    String,
    f64,
    f64,
    f64,
    i64,
);

fn daily_of(t: DailyTuple) -> DailyCost {
    DailyCost {
        day: t.0,
        billing_period: t.1,
        provider: t.2,
        account_id: t.3,
        account_name: t.4,
        service_name: t.5,
        service_category: t.6,
        charge_category: t.7,
        team: t.8,
        service: t.9,
        ci: t.10 != 0,
        currency: t.11,
        billed: t.12,
        effective: t.13,
        list: t.14,
        rows: t.15.max(0) as u64,
    }
}

impl Store {
    /// Every billing period of every source, newest first.
    pub async fn cost_periods(&self) -> Result<Vec<PeriodRow>> {
        let rows: Vec<PeriodTuple> = on_backend!(self, p => sqlx::query_as(
            "SELECT source, billing_period, state, version, tried_version, format, files, \
             rows_read, rows_skipped, billed, effective, rules_key, problems, error, ingested_at, \
             updated_at FROM cost_periods ORDER BY billing_period DESC, source"
        ).fetch_all(p).await)?;
        Ok(rows.into_iter().map(period_of).collect())
    }

    /// The generation: it moves whenever a period's rows are replaced.
    pub async fn cost_generation(&self) -> Result<i64> {
        Ok(on_backend!(self, p => sqlx::query_scalar(
            "SELECT generation FROM cost_generation WHERE id = 1"
        ).fetch_optional(p).await)?
        .unwrap_or(0))
    }

    /// Every stored daily row, in (day, source) order.
    pub async fn cost_daily(&self) -> Result<Vec<DailyCost>> {
        let rows: Vec<DailyTuple> = on_backend!(self, p => sqlx::query_as(
            "SELECT day, billing_period, provider, account_id, account_name, service_name, \
             service_category, charge_category, team, service, ci, currency, billed, effective, \
             list, rows_summed FROM cost_daily ORDER BY day, source, billing_period"
        ).fetch_all(p).await)?;
        Ok(rows.into_iter().map(daily_of).collect())
    }

    /// The daily rows of one period of one source.
    pub async fn cost_daily_of(&self, source: &str, period: &str) -> Result<Vec<DailyCost>> {
        let rows: Vec<DailyTuple> = on_backend!(self, p => sqlx::query_as(
            "SELECT day, billing_period, provider, account_id, account_name, service_name, \
             service_category, charge_category, team, service, ci, currency, billed, effective, \
             list, rows_summed FROM cost_daily WHERE source = $1 AND billing_period = $2 \
             ORDER BY day, account_id, service_name, team, service"
        ).bind(source).bind(period).fetch_all(p).await)?;
        Ok(rows.into_iter().map(daily_of).collect())
    }

    /// Replaces a period's rows with `rows` and records the version read, in one transaction:
    /// a crash (or a failed insert) leaves the previous version whole.
    pub async fn replace_cost_period(
        &self,
        source: &str,
        period: &str,
        rows: &[DailyCost],
        meta: &PeriodMeta,
    ) -> Result<()> {
        if let Some(r) = rows.iter().find(|r| r.billing_period != period) {
            return Err(StoreError::Config(format!(
                "a row of billing period {} was given to replace period {period}",
                r.billing_period
            )));
        }
        let mut batch = self.begin().await?;
        on_tx!(&mut batch.tx, c => sqlx::query(
            "DELETE FROM cost_daily WHERE source = $1 AND billing_period = $2"
        ).bind(source).bind(period).execute(c).await.map(|_| ()))?;
        for chunk in rows.chunks(CHUNK) {
            on_tx!(&mut batch.tx, c => {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO cost_daily (source, billing_period, day, provider, account_id, \
                     account_name, service_name, service_category, charge_category, team, service, \
                     ci, currency, billed, effective, list, rows_summed) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(source)
                        .push_bind(period)
                        .push_bind(r.day)
                        .push_bind(&r.provider)
                        .push_bind(&r.account_id)
                        .push_bind(&r.account_name)
                        .push_bind(&r.service_name)
                        .push_bind(&r.service_category)
                        .push_bind(&r.charge_category)
                        .push_bind(&r.team)
                        .push_bind(&r.service)
                        .push_bind(i32::from(r.ci))
                        .push_bind(&r.currency)
                        .push_bind(r.billed)
                        .push_bind(r.effective)
                        .push_bind(r.list)
                        .push_bind(r.rows.min(i64::MAX as u64) as i64);
                });
                qb.build().execute(c).await.map(|_| ())
            })?;
        }
        let billed: f64 = rows.iter().map(|r| r.billed).sum();
        let effective: f64 = rows.iter().map(|r| r.effective).sum();
        let now = now_millis();
        on_tx!(&mut batch.tx, c => sqlx::query(
            "INSERT INTO cost_periods (source, billing_period, state, version, tried_version, format, \
             files, rows_read, rows_skipped, billed, effective, rules_key, problems, error, \
             ingested_at, updated_at) \
             VALUES ($1, $2, 'ingested', $3, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12, $12) \
             ON CONFLICT (source, billing_period) DO UPDATE SET state = 'ingested', \
             version = excluded.version, tried_version = excluded.tried_version, \
             format = excluded.format, files = excluded.files, rows_read = excluded.rows_read, \
             rows_skipped = excluded.rows_skipped, billed = excluded.billed, \
             effective = excluded.effective, rules_key = excluded.rules_key, \
             problems = excluded.problems, error = NULL, ingested_at = excluded.ingested_at, \
             updated_at = excluded.updated_at"
        ).bind(source).bind(period).bind(&meta.version).bind(&meta.format).bind(meta.files)
        .bind(meta.rows_read).bind(meta.rows_skipped).bind(billed).bind(effective)
        .bind(&meta.rules_key).bind(&meta.problems).bind(now)
        .execute(c).await.map(|_| ()))?;
        bump_generation(&mut batch).await?;
        batch.commit().await?;
        Ok(())
    }

    /// Records a refused version of a period: its stored rows (an earlier version) stay.
    pub async fn cost_period_failed(
        &self,
        source: &str,
        period: &str,
        tried_version: &str,
        error: &str,
        problems: Option<&str>,
    ) -> Result<()> {
        let now = now_millis();
        on_backend!(self, p => sqlx::query(
            "INSERT INTO cost_periods (source, billing_period, state, version, tried_version, \
             files, rows_read, rows_skipped, billed, effective, problems, error, updated_at) \
             VALUES ($1, $2, 'failed', NULL, $3, 0, 0, 0, 0, 0, $4, $5, $6) \
             ON CONFLICT (source, billing_period) DO UPDATE SET state = 'failed', \
             tried_version = excluded.tried_version, problems = excluded.problems, \
             error = excluded.error, updated_at = excluded.updated_at"
        ).bind(source).bind(period).bind(tried_version).bind(problems).bind(error).bind(now)
        .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Notes a period whose data files have no manifest yet; a period already stored keeps
    /// its state (its stored version is still the latest complete one).
    pub async fn cost_period_waiting(&self, source: &str, period: &str) -> Result<()> {
        let now = now_millis();
        on_backend!(self, p => sqlx::query(
            "INSERT INTO cost_periods (source, billing_period, state, files, rows_read, \
             rows_skipped, billed, effective, updated_at) \
             VALUES ($1, $2, 'waiting', 0, 0, 0, 0, 0, $3) \
             ON CONFLICT (source, billing_period) DO NOTHING"
        ).bind(source).bind(period).bind(now).execute(p).await.map(|_| ()))?;
        Ok(())
    }
}

async fn bump_generation(batch: &mut super::Batch) -> Result<()> {
    on_tx!(&mut batch.tx, c => sqlx::query(
        "UPDATE cost_generation SET generation = generation + 1 WHERE id = 1"
    ).execute(c).await.map(|_| ()))?;
    Ok(())
}
