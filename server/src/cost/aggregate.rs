//! Export rows summed into daily rows ([`DailyCost`]), allocated to teams and services.
//!
//! A row's key is (billing period, UTC day, provider, account, provider service, service
//! category, charge category, team, service, CI, currency); billed, effective and list costs
//! and the row count are summed per key. The team and service come from core's
//! [`allocate`](nagare_core::cost::allocate::allocate) (the configured tag keys, then the
//! account map; otherwise unallocated, never guessed). A row is CI's when its account is one of
//! `cost.ci_accounts` or its allocated service one of `cost.ci_services`. An account's name is
//! the last non-empty one seen for its id.
//!
//! **Charges over several days.** A charge period that spans UTC days (a daily row that does
//! not start at midnight, a monthly fee) is spread over the days it covers, each getting the
//! share of the period's milliseconds that fall in it: amount × overlap ÷ period. The shares
//! sum to the amount (up to floating-point rounding). The row counts once, in `rows` of its
//! first day.
//!
//! Strings are interned, so a key is a few integers hashed with the Fx hash (rustc's: fast,
//! and the text hashed is an operator's own export), and sorting at the end compares each
//! string's rank among the interned ones rather than the strings.

use super::{CostLine, DailyCost};
use crate::config::CostConfig;
use nagare_core::cost::allocate::{allocate, Rules};
use nagare_core::cost::day_of_ms;
use nagare_core::time::DAY_MS;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The Fx hash (as in rustc): a multiply and a rotate per 8 bytes.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Fx {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// An interned string; [`NONE`] stands for "unallocated".
type Sym = u32;
const NONE: Sym = Sym::MAX;

#[derive(Default)]
struct Interner {
    ids: FxMap<Box<str>, Sym>,
    texts: Vec<Box<str>>,
}

impl Interner {
    fn get(&mut self, s: &str) -> Sym {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = Sym::try_from(self.texts.len()).unwrap_or(NONE - 1);
        self.texts.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }
    fn text(&self, id: Sym) -> &str {
        self.texts.get(id as usize).map_or("", |s| s)
    }
    fn opt(&self, id: Sym) -> Option<String> {
        (id != NONE).then(|| self.text(id).to_owned())
    }
    /// Each symbol's rank in the lexical order of the texts: comparing ranks compares texts.
    fn ranks(&self) -> Vec<u32> {
        let mut order: Vec<usize> = (0..self.texts.len()).collect();
        order.sort_unstable_by(|&a, &b| self.texts[a].cmp(&self.texts[b]));
        let mut rank = vec![0u32; order.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = u32::try_from(r).unwrap_or(u32::MAX);
        }
        rank
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    period: Sym,
    day: i32,
    provider: Sym,
    account: Sym,
    service_name: Sym,
    service_category: Sym,
    charge_category: Sym,
    team: Sym,
    service: Sym,
    ci: bool,
    currency: Sym,
}

#[derive(Default, Clone, Copy)]
struct Sums {
    billed: f64,
    effective: f64,
    list: f64,
    rows: u64,
}

/// Sums export rows into daily rows (see the module's documentation).
pub struct Aggregator {
    rules: Rules,
    ci_accounts: HashSet<String>,
    ci_services: HashSet<String>,
    strings: Interner,
    sums: FxMap<Key, Sums>,
    /// Account id → its last non-empty name.
    names: FxMap<Sym, Sym>,
    rows: u64,
}

impl Aggregator {
    pub fn new(cfg: &CostConfig) -> Aggregator {
        Aggregator {
            rules: cfg.rules(),
            ci_accounts: cfg.ci_accounts.iter().cloned().collect(),
            ci_services: cfg.ci_services.iter().cloned().collect(),
            strings: Interner::default(),
            sums: FxMap::default(),
            names: FxMap::default(),
            rows: 0,
        }
    }

    /// Adds one export row.
    pub fn add(&mut self, line: &CostLine) {
        self.rows += 1;
        let alloc = allocate(&line.tags, &line.account_id, &self.rules);
        let ci = self.ci_accounts.contains(&line.account_id)
            || alloc
                .service
                .as_ref()
                .is_some_and(|s| self.ci_services.contains(s));
        let s = &mut self.strings;
        let account = s.get(&line.account_id);
        if !line.account_name.is_empty() {
            let name = s.get(&line.account_name);
            self.names.insert(account, name);
        }
        let mut key = Key {
            period: s.get(&line.billing_period),
            day: day_of_ms(line.start_ms),
            provider: s.get(&line.provider),
            account,
            service_name: s.get(&line.service_name),
            service_category: s.get(&line.service_category),
            charge_category: s.get(&line.charge_category),
            team: alloc.team.as_deref().map_or(NONE, |t| s.get(t)),
            service: alloc.service.as_deref().map_or(NONE, |t| s.get(t)),
            ci,
            currency: s.get(&line.currency),
        };
        let (start, end) = (line.start_ms, line.end_ms);
        let last = day_of_ms(end - 1);
        if end <= start || last == key.day {
            self.put(key, line.billed, line.effective, line.list, 1);
            return;
        }
        let period = (end - start) as f64;
        for day in key.day..=last {
            let from = start.max(i64::from(day) * DAY_MS);
            let to = end.min(i64::from(day + 1) * DAY_MS);
            let share = (to - from) as f64 / period;
            let first = u64::from(day == key.day);
            key.day = day;
            self.put(
                key,
                line.billed * share,
                line.effective * share,
                line.list * share,
                first,
            );
        }
    }

    fn put(&mut self, key: Key, billed: f64, effective: f64, list: f64, rows: u64) {
        let s = self.sums.entry(key).or_default();
        s.billed += billed;
        s.effective += effective;
        s.list += list;
        s.rows += rows;
    }

    /// Export rows added.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The daily rows, sorted by (billing_period, day, provider, account_id, service_name,
    /// service_category, charge_category, team, service, ci, currency); unallocated (`None`)
    /// sorts before any team or service.
    pub fn finish(self) -> Vec<DailyCost> {
        let s = &self.strings;
        let rank = s.ranks();
        let r = |id: Sym| rank.get(id as usize).copied().unwrap_or(0);
        // Unallocated first: 0, then each text's rank + 1.
        let r_opt = |id: Sym| if id == NONE { 0 } else { u64::from(r(id)) + 1 };
        let mut keys: Vec<(&Key, &Sums)> = self.sums.iter().collect();
        keys.sort_by_cached_key(|(k, _)| {
            (
                (
                    r(k.period),
                    k.day,
                    r(k.provider),
                    r(k.account),
                    r(k.service_name),
                ),
                (
                    r(k.service_category),
                    r(k.charge_category),
                    r_opt(k.team),
                    r_opt(k.service),
                ),
                (k.ci, r(k.currency)),
            )
        });
        keys.into_iter()
            .map(|(k, v)| DailyCost {
                day: k.day,
                billing_period: s.text(k.period).to_owned(),
                provider: s.text(k.provider).to_owned(),
                account_id: s.text(k.account).to_owned(),
                account_name: self
                    .names
                    .get(&k.account)
                    .map_or_else(String::new, |&n| s.text(n).to_owned()),
                service_name: s.text(k.service_name).to_owned(),
                service_category: s.text(k.service_category).to_owned(),
                charge_category: s.text(k.charge_category).to_owned(),
                team: s.opt(k.team),
                service: s.opt(k.service),
                ci: k.ci,
                currency: s.text(k.currency).to_owned(),
                billed: v.billed,
                effective: v.effective,
                list: v.list,
                rows: v.rows,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nagare_core::time::HOUR_MS;

    fn line(start: i64, end: i64, billed: f64) -> CostLine {
        CostLine {
            start_ms: start,
            end_ms: end,
            billing_period: "2024-09".into(),
            provider: "AWS".into(),
            account_id: "111".into(),
            currency: "USD".into(),
            billed,
            effective: billed / 2.0,
            list: billed * 2.0,
            ..CostLine::default()
        }
    }

    #[test]
    fn a_charge_over_days_is_spread_by_the_share_of_each_day() {
        let mut a = Aggregator::new(&CostConfig::default());
        let day = 19_984 * DAY_MS;
        // 18:00 on day 0 to 06:00 on day 2: 6 h, 24 h, 6 h of 36 h.
        a.add(&line(
            day + 18 * HOUR_MS,
            day + 2 * DAY_MS + 6 * HOUR_MS,
            36.0,
        ));
        // Ends at midnight: wholly on its one day.
        a.add(&line(day, day + DAY_MS, 5.0));
        let rows = a.finish();
        let got: Vec<(i32, f64, f64, u64)> = rows
            .iter()
            .map(|r| (r.day, r.billed, r.list, r.rows))
            .collect();
        assert_eq!(
            got,
            vec![
                (19_984, 6.0 + 5.0, 12.0 + 10.0, 2),
                (19_985, 24.0, 48.0, 0),
                (19_986, 6.0, 12.0, 0)
            ]
        );
        assert_eq!(rows[1].effective, 12.0);
        assert_eq!((rows[0].team.clone(), rows[0].ci), (None, false));
    }

    #[test]
    fn rows_are_sorted_by_their_texts_and_allocated_with_names() {
        let cfg = CostConfig {
            account_teams: [("222".to_owned(), "platform".to_owned())].into(),
            ci_services: vec!["ci".into()],
            ..CostConfig::default()
        };
        let mut a = Aggregator::new(&cfg);
        let day = 19_984 * DAY_MS;
        // Texts interned in an order unlike their lexical one.
        let cases = [
            ("2024-10", "zeta", "333", "", None),
            ("2024-09", "EC2", "222", "ci-account", None),
            ("2024-09", "EC2", "111", "", Some(("payments", "ci"))),
            (
                "2024-09",
                "Athena",
                "111",
                "prod",
                Some(("payments", "api")),
            ),
            ("2024-09", "EC2", "111", "", None),
            ("2024-09", "EC2", "222", "", None),
        ];
        for (period, service, account, name, tags) in cases {
            let mut l = line(day, day + HOUR_MS, 1.0);
            l.billing_period = period.into();
            l.service_name = service.into();
            l.account_id = account.into();
            l.account_name = name.into();
            if let Some((team, svc)) = tags {
                l.tags.insert("user:team".into(), team.into());
                l.tags.insert("user:service".into(), svc.into());
            }
            a.add(&l);
        }
        assert_eq!(a.rows(), 6);
        let rows = a.finish();
        let got: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.billing_period.as_str(),
                    r.account_id.as_str(),
                    r.account_name.as_str(),
                    r.service_name.as_str(),
                    r.team.as_deref(),
                    r.service.as_deref(),
                    r.ci,
                    r.rows,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "2024-09",
                    "111",
                    "prod",
                    "Athena",
                    Some("payments"),
                    Some("api"),
                    false,
                    1
                ),
                ("2024-09", "111", "prod", "EC2", None, None, false, 1),
                (
                    "2024-09",
                    "111",
                    "prod",
                    "EC2",
                    Some("payments"),
                    Some("ci"),
                    true,
                    1
                ),
                // The same key twice; the account's name from its one named row.
                (
                    "2024-09",
                    "222",
                    "ci-account",
                    "EC2",
                    Some("platform"),
                    None,
                    false,
                    2
                ),
                ("2024-10", "333", "", "zeta", None, None, false, 1),
            ]
        );
    }
}
