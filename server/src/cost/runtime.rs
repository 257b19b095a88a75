//! The stored daily cost, held in memory for the API (docs/cost.md): compact rows sorted by
//! day, their strings interned. Reloaded whole when the store's cost generation moves (another
//! process, or this one, replaced a billing period); checked at most once a second per process.

use super::DailyCost;
use crate::store::Store;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, RwLock};

/// How often a request may check the store's generation.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// One day's cost of one combination, its strings as indexes into [`Held::names`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    pub day: i32,
    pub provider: u32,
    pub account: u32,
    pub service_name: u32,
    pub team: Option<u32>,
    pub service: Option<u32>,
    pub ci: bool,
    pub billed: f64,
    pub effective: f64,
    pub list: f64,
}

/// Every stored row, by day.
#[derive(Debug, Default)]
pub struct Held {
    pub generation: i64,
    pub rows: Vec<Row>,
    /// Interned strings.
    pub names: Vec<String>,
    /// Account id (interned) → its name (interned).
    pub account_names: HashMap<u32, u32>,
    /// The currency of the rows (the most common, should several appear).
    pub currency: Option<String>,
}

impl Held {
    pub fn from_rows(generation: i64, daily: Vec<DailyCost>) -> Held {
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut names: Vec<String> = Vec::new();
        let mut intern = |s: &str| -> u32 {
            if let Some(&i) = ids.get(s) {
                return i;
            }
            let i = names.len() as u32;
            names.push(s.to_owned());
            ids.insert(s.to_owned(), i);
            i
        };
        let mut currencies: HashMap<String, u64> = HashMap::new();
        let mut account_names = HashMap::new();
        let mut rows: Vec<Row> = daily
            .iter()
            .map(|d| {
                *currencies.entry(d.currency.clone()).or_default() += 1;
                let account = intern(&d.account_id);
                if !d.account_name.is_empty() {
                    account_names.insert(account, intern(&d.account_name));
                }
                Row {
                    day: d.day,
                    provider: intern(&d.provider),
                    account,
                    service_name: intern(&d.service_name),
                    team: d.team.as_deref().map(&mut intern),
                    service: d.service.as_deref().map(&mut intern),
                    ci: d.ci,
                    billed: d.billed,
                    effective: d.effective,
                    list: d.list,
                }
            })
            .collect();
        rows.sort_by_key(|r| r.day);
        let currency = currencies
            .into_iter()
            .filter(|(c, _)| !c.is_empty())
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(c, _)| c);
        Held {
            generation,
            rows,
            names,
            account_names,
            currency,
        }
    }

    pub fn name(&self, i: u32) -> &str {
        self.names.get(i as usize).map_or("", String::as_str)
    }

    /// The index of an interned string, if any row has it.
    pub fn find(&self, s: &str) -> Option<u32> {
        self.names.iter().position(|n| n == s).map(|i| i as u32)
    }

    /// The rows whose day is in `[from, to)`.
    pub fn days(&self, from: i32, to: i32) -> &[Row] {
        let a = self.rows.partition_point(|r| r.day < from);
        let b = self.rows.partition_point(|r| r.day < to);
        &self.rows[a..b.max(a)]
    }

    /// The last day with any cost.
    pub fn last_day(&self) -> Option<i32> {
        self.rows.last().map(|r| r.day)
    }

    /// `Name (id)` of an account, or its id.
    pub fn account_label(&self, account: u32) -> String {
        match self.account_names.get(&account) {
            Some(&n) if self.name(n) != self.name(account) => {
                format!("{} ({})", self.name(n), self.name(account))
            }
            _ => self.name(account).to_owned(),
        }
    }
}

/// The held cost, and when the store was last asked whether it moved.
pub struct Costs {
    held: RwLock<Arc<Held>>,
    checked: Mutex<Option<Instant>>,
    /// Each source's last poll in this process: when (ms), and what it did.
    polls: std::sync::Mutex<HashMap<String, (i64, String)>>,
}

impl Default for Costs {
    fn default() -> Self {
        Costs {
            held: RwLock::new(Arc::new(Held {
                generation: -1,
                ..Held::default()
            })),
            checked: Mutex::new(None),
            polls: std::sync::Mutex::new(HashMap::new()),
        }
    }
}

impl Costs {
    /// The held cost, reloaded first when the store's generation moved (asked at most once a
    /// second; one reload at a time).
    pub async fn current(&self, store: &Store) -> anyhow::Result<Arc<Held>> {
        {
            let mut checked = self.checked.lock().await;
            let due = checked.is_none_or(|t| t.elapsed() >= CHECK_EVERY);
            if due {
                let generation = store.cost_generation().await?;
                if generation != self.held.read().await.generation {
                    let rows = store.cost_daily().await?;
                    let held = Arc::new(Held::from_rows(generation, rows));
                    *self.held.write().await = held;
                }
                *checked = Some(Instant::now());
            }
        }
        Ok(self.held.read().await.clone())
    }

    /// Notes a source's poll.
    pub fn polled(&self, source: &str, result: String) {
        if let Ok(mut p) = self.polls.lock() {
            p.insert(source.to_owned(), (crate::store::now_millis(), result));
        }
    }

    /// Each source's last poll in this process.
    pub fn polls(&self) -> HashMap<String, (i64, String)> {
        self.polls.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Forgets when the store was last asked: the next read checks (after this process
    /// replaced a period).
    pub async fn invalidate(&self) {
        *self.checked.lock().await = None;
    }
}
