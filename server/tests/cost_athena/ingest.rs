//! Athena end to end (`nagare_server::cost::ingest::run_athena`), on SQLite and, when
//! `NAGARE_TEST_DATABASE_URL` is set, PostgreSQL: the fake answers a billing period's aggregate
//! rows, `run_athena` stores them, and `GET /api/v1/costs` (in local mode, `[cost.athena]` set
//! to the fake) gives per team the sums of the rows the fake served, worked out by hand here;
//! `/costs/sources` shows the period ingested from Athena. Then a restatement (other numbers
//! replace the period's rows whole), the same numbers again (nothing rewritten: the cost
//! generation stays), a failed query (an error with Athena's reason, and what was stored
//! stays), and the billing periods a run reads (`athena_periods`).

#[path = "../common/mod.rs"]
#[allow(dead_code, unused_imports)]
mod common;

use super::fake::{page, started, state as execution, FakeAthena};
use super::{athena, config, header, unmanaged, ID, RESULTS};
use common::{backends, fresh_store, get};
use nagare_server::config::{Config, CostConfig};
use nagare_server::cost::athena::{tag_keys, Athena};
use nagare_server::cost::ingest::{self, Outcome, Report};
use nagare_server::store::Store;
use nagare_server::AppState;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The source the periods are stored under (`cost.athena.name`'s default).
const SOURCE: &str = "athena";
/// May 2024, the days `run_athena` stores in it.
const MAY: &str = "from=2024-05-01T00:00:00Z&to=2024-06-01T00:00:00Z";
/// April and May 2024.
const APRIL_MAY: &str = "from=2024-04-01T00:00:00Z&to=2024-06-01T00:00:00Z";

/// A data row as Athena sends it, for the query's header (`super::header`): the day
/// (`YYYY-MM-DD`, its billing period its month), the account, the provider service, the team and
/// service tags (None: NULL), and billed, effective, list cost and the export rows summed.
fn row(
    day: &'static str,
    account: &'static str,
    service_name: &'static str,
    team: Option<&'static str>,
    service: Option<&'static str>,
    amounts: [&'static str; 4],
) -> Vec<Option<&'static str>> {
    let [billed, effective, list, rows] = amounts;
    vec![
        Some(day),
        Some(&day[..7]),
        Some("AWS"),
        Some(account),
        Some(match account {
            PAYMENTS => "Payments prod",
            SEARCH => "Search prod",
            _ => "Platform prod",
        }),
        Some(service_name),
        Some("Compute"),
        Some("Usage"),
        Some("USD"),
        team,
        service,
        Some(billed),
        Some(effective),
        Some(list),
        Some(rows),
    ]
}

const PAYMENTS: &str = "111122223333";
const SEARCH: &str = "444455556666";
const PLATFORM: &str = "777788889999";
const EC2: &str = "Amazon Elastic Compute Cloud";
const S3: &str = "Amazon Simple Storage Service";
const RDS: &str = "Amazon Relational Database Service";
const SUPPORT: &str = "AWS Support (Business)";

/// May as first delivered: two days, two accounts, tags for team and service (one row without
/// a service tag), and one row without any tag.
fn may_first() -> Vec<Vec<Option<&'static str>>> {
    vec![
        row(
            "2024-05-01",
            PAYMENTS,
            EC2,
            Some("payments"),
            Some("ledger"),
            ["12.50", "10.25", "15.00", "240"],
        ),
        row(
            "2024-05-01",
            SEARCH,
            S3,
            Some("search"),
            Some("indexer"),
            ["3.75", "3.00", "4.00", "30"],
        ),
        row(
            "2024-05-02",
            PAYMENTS,
            EC2,
            Some("payments"),
            Some("ledger"),
            ["7.25", "6.50", "8.00", "100"],
        ),
        row(
            "2024-05-02",
            SEARCH,
            RDS,
            Some("search"),
            None,
            ["2.00", "1.75", "2.50", "12"],
        ),
        row(
            "2024-05-02",
            SEARCH,
            SUPPORT,
            None,
            None,
            ["1.10", "1.10", "1.10", "1"],
        ),
    ]
}

/// What `may_first` sums to, by hand. Effective per team: payments 10.25 + 6.50 = 16.75;
/// search 3.00 + 1.75 = 4.75; the untagged row 1.10 unallocated; total 22.60.
/// Billed: payments 12.50 + 7.25 = 19.75; search 3.75 + 2.00 = 5.75; 1.10; total 26.60.
/// Per service (effective): ledger 16.75, indexer 3.00, unallocated 1.75 + 1.10 = 2.85.
/// Export rows: 240 + 30 + 100 + 12 + 1 = 383.
fn may_first_sums() -> Sums {
    Sums {
        effective: &[("payments", 16.75), ("search", 4.75)],
        unallocated: 1.10,
        total: 22.60,
        billed: 26.60,
        rows: 383,
        daily: 5,
    }
}

/// May restated: day 2 of payments is higher, search's RDS row is gone, the untagged row
/// changed, and a platform row is new.
fn may_restated() -> Vec<Vec<Option<&'static str>>> {
    vec![
        row(
            "2024-05-01",
            PAYMENTS,
            EC2,
            Some("payments"),
            Some("ledger"),
            ["12.50", "10.25", "15.00", "240"],
        ),
        row(
            "2024-05-01",
            SEARCH,
            S3,
            Some("search"),
            Some("indexer"),
            ["3.75", "3.00", "4.00", "30"],
        ),
        row(
            "2024-05-02",
            PAYMENTS,
            EC2,
            Some("payments"),
            Some("ledger"),
            ["9.00", "8.00", "10.00", "130"],
        ),
        row(
            "2024-05-02",
            PLATFORM,
            EC2,
            Some("platform"),
            Some("gateway"),
            ["4.00", "3.50", "4.50", "20"],
        ),
        row(
            "2024-05-02",
            SEARCH,
            SUPPORT,
            None,
            None,
            ["1.40", "1.40", "1.40", "1"],
        ),
    ]
}

/// By hand: effective payments 10.25 + 8.00 = 18.25; search 3.00 (its RDS row gone: a merge
/// with the first version would give 4.75); platform 3.50; unallocated 1.40; total 26.15.
/// Billed 12.50 + 3.75 + 9.00 + 4.00 + 1.40 = 30.65. Rows 240 + 30 + 130 + 20 + 1 = 421.
fn may_restated_sums() -> Sums {
    Sums {
        effective: &[("payments", 18.25), ("platform", 3.50), ("search", 3.00)],
        unallocated: 1.40,
        total: 26.15,
        billed: 30.65,
        rows: 421,
        daily: 5,
    }
}

/// April: one day, one account.
fn april() -> Vec<Vec<Option<&'static str>>> {
    vec![
        row(
            "2024-04-30",
            PAYMENTS,
            EC2,
            Some("payments"),
            Some("ledger"),
            ["5.00", "4.00", "6.00", "50"],
        ),
        row(
            "2024-04-30",
            SEARCH,
            S3,
            Some("search"),
            Some("indexer"),
            ["0.80", "0.60", "1.00", "8"],
        ),
    ]
}

/// Hand sums of one period's rows.
struct Sums {
    /// Effective cost per team.
    effective: &'static [(&'static str, f64)],
    unallocated: f64,
    /// Effective, everything.
    total: f64,
    billed: f64,
    /// Export rows summed (`row_count`), and stored daily rows.
    rows: u64,
    daily: usize,
}

/// `got` equals `want` up to floating-point summation order.
fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-9 * want.abs().max(1.0),
        "{what}: got {got}, computed by hand {want}"
    );
}

fn num(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("expected a number, got {v}"))
}

/// `[cost]` as the default tags read it (`user:team`, `user:service`), Athena at the fake.
fn cost_config(fake: &FakeAthena) -> CostConfig {
    CostConfig {
        athena: Some(config(&fake.url(), "focus", Some(RESULTS), 60)),
        ..CostConfig::default()
    }
}

/// A local-mode state (every caller an admin) on `store`, cost read with `cost`.
async fn state_on(store: Store, cost: CostConfig) -> AppState {
    let mut c = Config::default();
    c.server.dist_dir = "/nonexistent-dist".into();
    c.cost = cost;
    AppState::new(store, c).await.unwrap()
}

/// The client of the fake, grouping by the configured tag keys.
async fn client(cost: &CostConfig) -> Athena {
    athena(cost.athena.as_ref().unwrap(), &tag_keys(cost)).await
}

/// Queues one successful query answering `rows` (after the header row) in one page.
fn serve(fake: &FakeAthena, rows: Vec<Vec<Option<&'static str>>>) {
    fake.reply("StartQueryExecution", started(ID));
    fake.reply("GetQueryExecution", execution(ID, "RUNNING", None, None));
    fake.reply("GetQueryExecution", execution(ID, "SUCCEEDED", None, None));
    let mut all = vec![header()];
    all.extend(rows);
    fake.reply("GetQueryResults", page(&all, None));
}

/// A fake whose workgroup takes the configured result location on every call.
async fn fake() -> FakeAthena {
    let fake = FakeAthena::start().await;
    fake.always("GetWorkGroup", unmanaged());
    fake
}

async fn run(state: &AppState, athena: &Athena, periods: &[&str]) -> anyhow::Result<Report> {
    let periods: Vec<String> = periods.iter().map(|p| (*p).to_owned()).collect();
    ingest::run_athena(
        &state.store,
        &state.config.cost,
        athena,
        SOURCE,
        &periods,
        false,
        &mut |_step| {},
    )
    .await
}

fn outcomes(r: &Report) -> Vec<(String, Outcome)> {
    r.periods
        .iter()
        .map(|p| (p.period.clone(), p.outcome.clone()))
        .collect()
}

/// The periods each query asked for, in order, by the SQL each StartQueryExecution carried.
fn asked(fake: &FakeAthena, athena: &Athena, periods: &[&str]) -> Vec<String> {
    fake.calls("StartQueryExecution")
        .iter()
        .map(|s| {
            let sql = s["QueryString"].as_str().unwrap();
            periods.iter().find(|p| sql == athena.sql(p)).map_or_else(
                || format!("an unexpected query: {sql}"),
                |p| (*p).to_owned(),
            )
        })
        .collect()
}

/// `GET /api/v1/costs?{window}&{query}`, read fresh (the held cost reloaded).
async fn costs(state: &AppState, window: &str, query: &str) -> Value {
    state.costs.invalidate().await;
    let uri = format!("/api/v1/costs?{window}&{query}");
    let r = get(state, &uri).await;
    assert_eq!(r.status, 200, "GET {uri}: {}", r.json);
    r.json
}

/// Each group's total by key (`None`: unallocated).
fn groups(report: &Value) -> BTreeMap<Option<String>, f64> {
    report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].as_str().map(str::to_owned), num(&g["total"])))
        .collect()
}

/// The API's May totals per team, effective and billed, against `want`.
async fn check_may(state: &AppState, want: &Sums) {
    let r = costs(state, MAY, "group_by=team").await;
    assert_eq!(r["currency"], "USD", "{r}");
    let got = groups(&r);
    let mut keys: Vec<Option<String>> = want
        .effective
        .iter()
        .map(|(t, _)| Some((*t).to_owned()))
        .collect();
    keys.push(None);
    keys.sort();
    assert_eq!(got.keys().cloned().collect::<Vec<_>>(), keys, "{r}");
    for (team, total) in want.effective {
        close(got[&Some((*team).to_owned())], *total, team);
    }
    close(got[&None], want.unallocated, "unallocated");
    close(num(&r["unallocated"]), want.unallocated, "unallocated");
    close(num(&r["total"]), want.total, "total");
    let billed = costs(state, MAY, "group_by=team&cost=billed").await;
    close(num(&billed["total"]), want.billed, "billed total");
}

/// The `/costs/sources` row of `period`, and the Athena source.
async fn period_row(state: &AppState, period: &str) -> Option<Value> {
    let r = get(state, "/api/v1/costs/sources").await;
    assert_eq!(r.status, 200, "{}", r.json);
    let source = r.json["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == SOURCE)
        .cloned()
        .unwrap_or_else(|| panic!("no source {SOURCE}: {}", r.json));
    assert_eq!(source["kind"], "athena", "{source}");
    assert_eq!(source["location"], "athena:cost_data.focus", "{source}");
    r.json["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["billing_period"] == period && p["source"] == SOURCE)
        .cloned()
}

/// The period's row shows it ingested from Athena with `want`'s rows and totals; its version.
async fn check_period(state: &AppState, period: &str, want: &Sums) -> String {
    let p = period_row(state, period)
        .await
        .unwrap_or_else(|| panic!("no period {period}"));
    assert_eq!(p["state"], "ingested", "{p}");
    assert_eq!(p["format"], "athena", "{p}");
    assert_eq!(p["files"], 0, "{p}");
    assert_eq!(p["rows"], want.rows, "{p}");
    assert_eq!(p["skipped_rows"], 0, "{p}");
    assert_eq!(p["error"], Value::Null, "{p}");
    close(num(&p["billed"]), want.billed, "the period's billed");
    close(num(&p["effective"]), want.total, "the period's effective");
    let version = p["version"].as_str().unwrap().to_owned();
    assert!(version.starts_with("athena:"), "{p}");
    version
}

#[tokio::test]
async fn a_period_read_through_athena_is_what_the_api_sums() {
    for backend in backends() {
        let (store, _db) = fresh_store(backend).await;
        let fake = fake().await;
        let cost = cost_config(&fake);
        let a = client(&cost).await;
        let state = state_on(store, cost).await;
        assert_eq!(
            period_row(&state, "2024-05").await,
            None,
            "{backend}: nothing stored yet"
        );

        serve(&fake, may_first());
        let report = run(&state, &a, &["2024-05"]).await.unwrap();
        let want = may_first_sums();
        assert_eq!(
            outcomes(&report),
            [(
                "2024-05".to_owned(),
                Outcome::Ingested {
                    rows: want.rows,
                    skipped: 0,
                    daily: want.daily
                }
            )],
            "{backend}"
        );
        assert_eq!(report.source, SOURCE);
        assert_eq!(asked(&fake, &a, &["2024-05"]), ["2024-05"]);

        check_may(&state, &want).await;
        check_period(&state, "2024-05", &want).await;

        // By service: the row without a service tag and the untagged one are unallocated.
        let r = costs(&state, MAY, "group_by=service").await;
        let got = groups(&r);
        close(got[&Some("ledger".to_owned())], 16.75, "ledger");
        close(got[&Some("indexer".to_owned())], 3.00, "indexer");
        close(got[&None], 2.85, "no service");
        assert_eq!(got.len(), 3, "{r}");
        assert_eq!(r["data_through"], "2024-05-02", "{r}");

        // The stored rows carry the tags' team and service, and the accounts' names.
        let stored = state.store.cost_daily_of(SOURCE, "2024-05").await.unwrap();
        // Sorted here: the store's order of provider services follows the database's collation.
        let mut by: Vec<(String, Option<&str>, Option<&str>, &str)> = stored
            .iter()
            .map(|d| {
                (
                    nagare_core::cost::day_text(d.day),
                    d.team.as_deref(),
                    d.service.as_deref(),
                    d.account_name.as_str(),
                )
            })
            .collect();
        by.sort();
        assert_eq!(
            by,
            [
                (
                    "2024-05-01".into(),
                    Some("payments"),
                    Some("ledger"),
                    "Payments prod"
                ),
                (
                    "2024-05-01".into(),
                    Some("search"),
                    Some("indexer"),
                    "Search prod"
                ),
                ("2024-05-02".into(), None, None, "Search prod"),
                (
                    "2024-05-02".into(),
                    Some("payments"),
                    Some("ledger"),
                    "Payments prod"
                ),
                ("2024-05-02".into(), Some("search"), None, "Search prod"),
            ],
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_restatement_through_athena_replaces_the_period_and_the_same_numbers_leave_it() {
    for backend in backends() {
        let (store, _db) = fresh_store(backend).await;
        let fake = fake().await;
        let cost = cost_config(&fake);
        let a = client(&cost).await;
        let state = state_on(store, cost).await;

        serve(&fake, may_first());
        run(&state, &a, &["2024-05"]).await.unwrap();
        check_may(&state, &may_first_sums()).await;
        let first = check_period(&state, "2024-05", &may_first_sums()).await;

        // Other numbers for May: the period's rows are replaced whole.
        serve(&fake, may_restated());
        let before = state.store.cost_generation().await.unwrap();
        let report = run(&state, &a, &["2024-05"]).await.unwrap();
        let want = may_restated_sums();
        assert_eq!(
            outcomes(&report),
            [(
                "2024-05".to_owned(),
                Outcome::Ingested {
                    rows: want.rows,
                    skipped: 0,
                    daily: want.daily
                }
            )],
            "{backend}"
        );
        let restated_generation = state.store.cost_generation().await.unwrap();
        assert!(
            restated_generation > before,
            "{backend}: a replaced period moves the generation ({before} → {restated_generation})"
        );
        check_may(&state, &want).await;
        let second = check_period(&state, "2024-05", &want).await;
        assert_ne!(
            first, second,
            "{backend}: other numbers are another version"
        );
        let stored = state.store.cost_daily_of(SOURCE, "2024-05").await.unwrap();
        assert!(
            stored.iter().all(|d| d.service_name != RDS),
            "{backend}: the restated period no longer has search's RDS row: {stored:?}"
        );
        let ingested_at = period_row(&state, "2024-05").await.unwrap()["ingested_at"].clone();

        // The same numbers again, even in another order: nothing is rewritten.
        let mut same = may_restated();
        same.reverse();
        serve(&fake, same);
        let report = run(&state, &a, &["2024-05"]).await.unwrap();
        assert_eq!(
            outcomes(&report),
            [("2024-05".to_owned(), Outcome::Unchanged)],
            "{backend}"
        );
        assert_eq!(
            state.store.cost_generation().await.unwrap(),
            restated_generation,
            "{backend}: an unchanged period must not move the generation"
        );
        assert_eq!(
            state.store.cost_daily_of(SOURCE, "2024-05").await.unwrap(),
            stored,
            "{backend}"
        );
        assert_eq!(check_period(&state, "2024-05", &want).await, second);
        assert_eq!(
            period_row(&state, "2024-05").await.unwrap()["ingested_at"],
            ingested_at,
            "{backend}: not written again"
        );
        check_may(&state, &want).await;
        // Three queries, each for May; the unchanged one was still asked (Athena is the truth).
        assert_eq!(
            asked(&fake, &a, &["2024-05"]),
            ["2024-05", "2024-05", "2024-05"]
        );
    }
}

#[tokio::test]
async fn a_failed_query_ends_the_run_with_athena_s_reason_and_leaves_what_is_stored() {
    let reason = "HIVE_BAD_DATA: Error parsing field value '12,5' for field 11: For input \
                  string: \"12,5\"";
    for backend in backends() {
        let (store, _db) = fresh_store(backend).await;
        let fake = fake().await;
        let cost = cost_config(&fake);
        let a = client(&cost).await;
        let state = state_on(store, cost).await;

        // Both months stored: May (this month, first) and April.
        serve(&fake, may_first());
        serve(&fake, april());
        let report = run(&state, &a, &["2024-05", "2024-04"]).await.unwrap();
        assert!(
            report
                .periods
                .iter()
                .all(|p| matches!(p.outcome, Outcome::Ingested { .. })),
            "{backend}: {report:?}"
        );
        let may_rows = state.store.cost_daily_of(SOURCE, "2024-05").await.unwrap();
        let april_rows = state.store.cost_daily_of(SOURCE, "2024-04").await.unwrap();
        assert_eq!((may_rows.len(), april_rows.len()), (5, 2), "{backend}");
        let may_version = check_period(&state, "2024-05", &may_first_sums()).await;
        let generation = state.store.cost_generation().await.unwrap();

        // The next run: May answers the same, April's query fails.
        serve(&fake, may_first());
        fake.reply("StartQueryExecution", started(ID));
        fake.reply("GetQueryExecution", execution(ID, "RUNNING", None, None));
        fake.reply(
            "GetQueryExecution",
            execution(
                ID,
                "FAILED",
                Some(reason),
                Some(json!({
                    "ErrorCategory": 2,
                    "ErrorType": 1002,
                    "Retryable": false,
                    "ErrorMessage": reason,
                })),
            ),
        );
        let err = run(&state, &a, &["2024-05", "2024-04"])
            .await
            .expect_err("a failed query fails the run");
        let text = format!("{err:#}");
        assert!(text.contains(reason), "{backend}: {text}");
        assert!(text.contains(ID), "{backend}: the query is named: {text}");
        assert_eq!(
            asked(&fake, &a, &["2024-05", "2024-04"]),
            ["2024-05", "2024-04", "2024-05", "2024-04"]
        );
        assert_eq!(
            fake.calls("GetQueryResults").len(),
            3,
            "May twice and April once: no results are read of a failed query"
        );

        // Both periods as they were: rows, versions, generation, and what the API sums.
        assert_eq!(
            state.store.cost_daily_of(SOURCE, "2024-05").await.unwrap(),
            may_rows,
            "{backend}"
        );
        assert_eq!(
            state.store.cost_daily_of(SOURCE, "2024-04").await.unwrap(),
            april_rows,
            "{backend}"
        );
        assert_eq!(state.store.cost_generation().await.unwrap(), generation);
        assert_eq!(
            check_period(&state, "2024-05", &may_first_sums()).await,
            may_version
        );
        let p = period_row(&state, "2024-04").await.unwrap();
        assert_eq!(p["state"], "ingested", "{backend}: {p}");
        check_may(&state, &may_first_sums()).await;
        // April and May by team, effective: payments 4.00 + 16.75 = 20.75, search 0.60 + 4.75
        // = 5.35, unallocated 1.10; total 27.20.
        let r = costs(&state, APRIL_MAY, "group_by=team").await;
        let got = groups(&r);
        close(got[&Some("payments".to_owned())], 20.75, "payments");
        close(got[&Some("search".to_owned())], 5.35, "search");
        close(got[&None], 1.10, "unallocated");
        close(num(&r["total"]), 27.20, "total");
    }
}

#[tokio::test]
async fn a_failed_query_on_a_first_run_stores_nothing_of_that_period() {
    for backend in backends() {
        let (store, _db) = fresh_store(backend).await;
        let fake = fake().await;
        let cost = cost_config(&fake);
        let a = client(&cost).await;
        let state = state_on(store, cost).await;
        let generation = state.store.cost_generation().await.unwrap();
        fake.reply("StartQueryExecution", started(ID));
        fake.reply(
            "GetQueryExecution",
            execution(
                ID,
                "FAILED",
                Some("TABLE_NOT_FOUND: Table 'awsdatacatalog.cost_data.focus' does not exist"),
                None,
            ),
        );
        let err = run(&state, &a, &["2024-05"]).await.unwrap_err();
        assert!(
            format!("{err:#}").contains("TABLE_NOT_FOUND"),
            "{backend}: {err:#}"
        );
        assert_eq!(state.store.cost_generation().await.unwrap(), generation);
        assert_eq!(period_row(&state, "2024-05").await, None, "{backend}");
        assert!(state
            .store
            .cost_daily_of(SOURCE, "2024-05")
            .await
            .unwrap()
            .is_empty());
        let r = costs(&state, MAY, "group_by=team").await;
        assert_eq!(num(&r["total"]), 0.0, "{r}");
    }
}

/// Milliseconds since 1970 of `days` after 1970-01-01 plus `ms`.
fn at(days: i64, ms: i64) -> i64 {
    days * 86_400_000 + ms
}

#[test]
fn the_periods_a_run_reads_are_this_month_then_the_ones_before() {
    // 2025-01-01 is day 20 089: 55 years of 365 days and the 14 leap days 1972–2024
    // (20 075 + 14); 2025-01-01T00:00:00Z is 1 735 689 600 s (20 089 × 86 400).
    const JAN_1_2025: i64 = 20_089;
    assert_eq!(at(JAN_1_2025, 0), 1_735_689_600_000);
    // 2025-01-03 12:00 UTC: January, then December of the year before.
    let jan_3_noon = at(JAN_1_2025 + 2, 12 * 3_600_000);
    assert_eq!(
        ingest::athena_periods(jan_3_noon, 2),
        ["2025-01", "2024-12"]
    );
    assert_eq!(
        ingest::athena_periods(jan_3_noon, 3),
        ["2025-01", "2024-12", "2024-11"]
    );
    // The month's first and the year's last millisecond.
    assert_eq!(
        ingest::athena_periods(at(JAN_1_2025, 0), 2),
        ["2025-01", "2024-12"]
    );
    assert_eq!(
        ingest::athena_periods(at(JAN_1_2025, -1), 2),
        ["2024-12", "2024-11"]
    );
    // 2024-03-01 (a leap year): day 19 723 (2024-01-01) + 31 + 29 = 19 783; February before.
    assert_eq!(
        ingest::athena_periods(at(19_783, 0), 2),
        ["2024-03", "2024-02"]
    );
    assert_eq!(
        ingest::athena_periods(at(19_783, -1), 2),
        ["2024-02", "2024-01"]
    );
    // A year back crosses the boundary once.
    let year = ingest::athena_periods(jan_3_noon, 13);
    assert_eq!(year.len(), 13);
    assert_eq!(year[12], "2024-01");
}
