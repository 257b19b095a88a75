//! Descriptive statistics for the metrics: interpolated quantiles and means.
//!
//! Quantiles interpolate linearly between the closest ranks, like numpy's default (`linear`)
//! method: for `n` sorted values and a probability `p`, the rank is `h = (n − 1) · p`, and the
//! quantile is `v[⌊h⌋] + (h − ⌊h⌋) · (v[⌊h⌋ + 1] − v[⌊h⌋])`. So the median of `[1, 2, 3, 4]` is
//! 2.5 and its p90 is 3.7. An empty input has no quantile (`None`), never zero.

/// The summary a metric reports: count, interpolated median, p75, p90 and mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub count: u64,
    pub median: f64,
    pub p75: f64,
    pub p90: f64,
    pub mean: f64,
}

/// The quantile `p` (0 ≤ p ≤ 1) of values already sorted ascending; `None` when empty.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let (lo, frac) = rank(n, p);
    let a = sorted[lo];
    Some(match sorted.get(lo + 1) {
        Some(&b) if frac > 0.0 => a + frac * (b - a),
        _ => a,
    })
}

/// The quantile `p` of unsorted values (copies and sorts them); `None` when empty.
pub fn quantile(values: &[f64], p: f64) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    quantile_sorted(&v, p)
}

/// The interpolated median (the quantile 0.5); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    quantile(values, 0.5)
}

/// The arithmetic mean; `None` when empty.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// Count, median, p75, p90 and mean of `values` (reordered in place); `None` when empty.
pub fn summarize(values: &mut [f64]) -> Option<Summary> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(Summary {
        count: values.len() as u64,
        median: quantile_sorted(values, 0.5)?,
        p75: quantile_sorted(values, 0.75)?,
        p90: quantile_sorted(values, 0.9)?,
        mean: mean(values)?,
    })
}

/// Like [`summarize`], for durations in milliseconds, reported in seconds.
///
/// This is the hot path of the DORA query (a year of an organisation's changes can be a
/// million values), so it does not sort: it finds only the order statistics the quantiles
/// need, with `select_nth_unstable`, each pass on what is right of the previous one.
pub fn summarize_millis(values: &mut [i64]) -> Option<Summary> {
    let sum: i128 = values.iter().map(|&v| i128::from(v)).sum();
    summary_of(values.len(), sum, |ranks| order_statistics(values, ranks))
}

/// Like [`summarize_millis`], for values held as several runs, each sorted ascending, with
/// their total `sum`: the same numbers as `summarize_millis` of all the runs' values put
/// together, found without gathering them.
///
/// Each order statistic is found by a binary search on the value: the least `v` such that at
/// least `r + 1` values are ≤ `v`, counted with one binary search per run. So the cost grows
/// with the number of runs and the logarithm of their sizes, not with the number of values.
pub fn summarize_sorted_runs(runs: &[&[i64]], sum: i128) -> Option<Summary> {
    let n: usize = runs.iter().map(|r| r.len()).sum();
    summary_of(n, sum, |ranks| order_statistics_of_runs(runs, ranks))
}

/// [`summarize_sorted_runs`] of `runs` (with total `sum`) and of the unsorted `more`: the
/// same numbers as [`summarize_millis`] of all their values put together. Without runs it is
/// `summarize_millis(more)`.
pub fn summarize_runs_and<'a>(
    mut runs: Vec<&'a [i64]>,
    sum: i128,
    more: &'a mut [i64],
) -> Option<Summary> {
    if runs.is_empty() {
        return summarize_millis(more);
    }
    more.sort_unstable();
    let sum = sum + more.iter().map(|&v| i128::from(v)).sum::<i128>();
    runs.push(more);
    summarize_sorted_runs(&runs, sum)
}

/// The values at ascending, distinct ranks (0-based) among the values of sorted runs, as if
/// they were merged.
///
/// For each rank, a binary search on the value: the least `v` with more than `r` values ≤ `v`.
/// Each run keeps the index bounds the search has narrowed it to, so later steps (and later
/// ranks, which are larger) search only what is left. The rank after one just found is often
/// the same value, or else the least value above it: no search needed.
fn order_statistics_of_runs(runs: &[&[i64]], ranks: &[usize]) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::with_capacity(ranks.len());
    // Per run: values before `lo[i]` are below the current answer, from `hi[i]` above it.
    let mut lo: Vec<usize> = vec![0; runs.len()];
    let mut hi: Vec<usize> = runs.iter().map(|r| r.len()).collect();
    // How many values are ≤ the last answer.
    let mut last: Option<(i64, usize)> = None;
    for &r in ranks {
        if let Some((v, le)) = last {
            if le > r {
                out.push(v);
                continue;
            }
            if le == r {
                // The least value above `v`.
                let next = runs
                    .iter()
                    .filter_map(|x| x.get(x.partition_point(|&y| y <= v)).copied())
                    .min();
                if let Some(next) = next {
                    let le: usize = runs.iter().map(|x| x.partition_point(|&y| y <= next)).sum();
                    out.push(next);
                    last = Some((next, le));
                    continue;
                }
            }
        }
        // Bisect on the value within the bounds left.
        let mut vlo = (0..runs.len())
            .filter(|&i| lo[i] < hi[i])
            .map(|i| runs[i][lo[i]])
            .min()
            .unwrap_or(0);
        let mut vhi = (0..runs.len())
            .filter(|&i| lo[i] < hi[i])
            .map(|i| runs[i][hi[i] - 1])
            .max()
            .unwrap_or(0);
        let mut cut: Vec<usize> = vec![0; runs.len()];
        while vlo < vhi {
            let mid = (i128::from(vlo) + (i128::from(vhi) - i128::from(vlo)) / 2) as i64;
            let mut le = 0;
            for (i, x) in runs.iter().enumerate() {
                let p = lo[i] + x[lo[i]..hi[i]].partition_point(|&y| y <= mid);
                cut[i] = p;
                le += p;
            }
            if le > r {
                vhi = mid;
                hi.copy_from_slice(&cut);
            } else {
                vlo = mid + 1;
                lo.copy_from_slice(&cut);
            }
        }
        let le: usize = runs.iter().map(|x| x.partition_point(|&y| y <= vlo)).sum();
        out.push(vlo);
        last = Some((vlo, le));
        // Later ranks are larger: nothing below this answer is needed again.
        for (i, x) in runs.iter().enumerate() {
            lo[i] = x.partition_point(|&y| y < vlo);
            hi[i] = x.len();
        }
    }
    out
}

/// The summary of `n` values with total `sum`, given the order statistics at ascending,
/// distinct ranks (`stats`).
fn summary_of(n: usize, sum: i128, stats: impl FnOnce(&[usize]) -> Vec<i64>) -> Option<Summary> {
    if n == 0 {
        return None;
    }
    let ps = [0.5, 0.75, 0.9];
    // The ranks needed, ascending: ⌊h⌋ and ⌊h⌋ + 1 for each p (when there is such a rank).
    let mut ranks: Vec<usize> = Vec::with_capacity(6);
    for p in ps {
        let (lo, _) = rank(n, p);
        ranks.push(lo);
        if lo + 1 < n {
            ranks.push(lo + 1);
        }
    }
    ranks.sort_unstable();
    ranks.dedup();
    let stats = stats(&ranks);
    let at = |r: usize| -> f64 {
        let i = ranks.partition_point(|&x| x < r);
        stats.get(i).copied().unwrap_or(0) as f64
    };
    let q = |p: f64| -> f64 {
        let (lo, frac) = rank(n, p);
        let a = at(lo);
        if frac > 0.0 && lo + 1 < n {
            a + frac * (at(lo + 1) - a)
        } else {
            a
        }
    };
    Some(Summary {
        count: n as u64,
        median: q(0.5) / 1000.0,
        p75: q(0.75) / 1000.0,
        p90: q(0.9) / 1000.0,
        mean: (sum as f64 / n as f64) / 1000.0,
    })
}

/// `⌊h⌋` and `h − ⌊h⌋` for `h = (n − 1) · p`, with `p` clamped to [0, 1].
fn rank(n: usize, p: f64) -> (usize, f64) {
    let h = (n.saturating_sub(1)) as f64 * p.clamp(0.0, 1.0);
    let lo = (h.floor() as usize).min(n.saturating_sub(1));
    (lo, h - lo as f64)
}

/// The values at the given ascending, distinct ranks, as if `values` were sorted.
fn order_statistics(values: &mut [i64], ranks: &[usize]) -> Vec<i64> {
    let mut out = Vec::with_capacity(ranks.len());
    let mut start = 0;
    for &r in ranks {
        if r < start || r >= values.len() {
            continue;
        }
        let (_, nth, _) = values[start..].select_nth_unstable(r - start);
        out.push(*nth);
        start = r + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn interpolated_quantiles_of_known_arrays() {
        // [1, 2, 3, 4]: h = 3p. Median h = 1.5 → 2 + 0.5·(3 − 2) = 2.5.
        // p75: h = 2.25 → 3 + 0.25·1 = 3.25. p90: h = 2.7 → 3 + 0.7·1 = 3.7.
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!(close(median(&v).unwrap(), 2.5));
        assert!(close(quantile(&v, 0.75).unwrap(), 3.25));
        assert!(close(quantile(&v, 0.9).unwrap(), 3.7));
        // Unsorted input, odd length: [5, 1, 3] sorted is [1, 3, 5]; h = 2p.
        // Median h = 1 → 3. p90: h = 1.8 → 3 + 0.8·2 = 4.6. Mean 9 / 3 = 3.
        let mut v = vec![5.0, 1.0, 3.0];
        let s = summarize(&mut v).unwrap();
        assert_eq!(s.count, 3);
        assert!(close(s.median, 3.0));
        assert!(close(s.p75, 4.0)); // h = 1.5 → 3 + 0.5·2 = 4
        assert!(close(s.p90, 4.6));
        assert!(close(s.mean, 3.0));
        // One value: every quantile is that value.
        assert_eq!(quantile(&[7.0], 0.9), Some(7.0));
    }

    #[test]
    fn empty_inputs_have_no_statistics() {
        assert_eq!(median(&[]), None);
        assert_eq!(mean(&[]), None);
        assert_eq!(summarize(&mut []), None);
        assert_eq!(summarize_millis(&mut []), None);
    }

    #[test]
    fn millisecond_summary_matches_the_sorting_one() {
        // [1, 2, 3, 4] seconds in ms: median 2.5 s, p75 3.25 s, p90 3.7 s, mean 2.5 s.
        let mut ms = vec![4000, 1000, 3000, 2000];
        let s = summarize_millis(&mut ms).unwrap();
        assert_eq!(s.count, 4);
        assert!(close(s.median, 2.5));
        assert!(close(s.p75, 3.25));
        assert!(close(s.p90, 3.7));
        assert!(close(s.mean, 2.5));
        // A pseudo-random array against the sorting implementation.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for n in [1usize, 2, 3, 10, 11, 101, 1000] {
            let mut ms: Vec<i64> = (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % 100_000) as i64
                })
                .collect();
            let mut secs: Vec<f64> = ms.iter().map(|&m| m as f64 / 1000.0).collect();
            let a = summarize_millis(&mut ms).unwrap();
            let b = summarize(&mut secs).unwrap();
            assert!(close(a.median, b.median), "n={n}");
            assert!(close(a.p75, b.p75), "n={n}");
            assert!(close(a.p90, b.p90), "n={n}");
            assert!((a.mean - b.mean).abs() < 1e-6, "n={n}");
        }
    }

    #[test]
    fn sorted_runs_give_exactly_the_summary_of_their_values() {
        // Hand-checked: runs [1, 4] and [2, 3] seconds are [1, 2, 3, 4]: median 2.5 s,
        // p75 3.25 s, p90 3.7 s, mean 2.5 s.
        let runs: [&[i64]; 2] = [&[1000, 4000], &[2000, 3000]];
        let s = summarize_sorted_runs(&runs, 10_000).unwrap();
        assert_eq!(
            (s.count, s.median, s.p75, s.p90, s.mean),
            (4, 2.5, 3.25, 3.7, 2.5)
        );
        assert_eq!(summarize_sorted_runs(&[&[], &[]], 0), None);
        // Against summarize_millis of the same values, exactly (not close): random runs of
        // random lengths, with ties, empty runs and negative values.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        for case in 0..300 {
            let k = 1 + next(12) as usize;
            let mut runs: Vec<Vec<i64>> = (0..k)
                .map(|_| {
                    let len = next(if case % 3 == 0 { 4 } else { 40 }) as usize;
                    (0..len).map(|_| next(5_000) as i64 - 1_000).collect()
                })
                .collect();
            runs.iter_mut().for_each(|r| r.sort_unstable());
            let mut all: Vec<i64> = runs.concat();
            let sum: i128 = all.iter().map(|&v| i128::from(v)).sum();
            let views: Vec<&[i64]> = runs.iter().map(Vec::as_slice).collect();
            assert_eq!(
                summarize_sorted_runs(&views, sum),
                summarize_millis(&mut all),
                "case {case}"
            );
        }
    }
}
