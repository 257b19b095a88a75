//! When the demo's things happen: a team's production deployment times for its rhythm, and the
//! pull requests merged between them.

use super::sim::*;
use crate::time::{DAY_MS, MINUTE_MS};

/// Plans production deployment times for a rhythm between `start` and `end`.
pub(super) fn deploy_times(rng: &mut Rng, rhythm: Rhythm, start: i64, end: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let work_time = |rng: &mut Rng, day: i64| day + rng.range(9 * 60, 17 * 60 + 30) * MINUTE_MS;
    match rhythm {
        Rhythm::Daily(n) => {
            let mut day = day_start(start) + DAY_MS;
            while day < end {
                let count = if weekday(day) < 5 {
                    rng.range(1, n)
                } else {
                    i64::from(rng.chance(0.1))
                };
                for _ in 0..count {
                    out.push(work_time(rng, day));
                }
                day += DAY_MS;
            }
        }
        Rhythm::Weekly(days) => {
            let mut monday = day_start(start) + DAY_MS;
            while weekday(monday) != 0 {
                monday += DAY_MS;
            }
            while monday < end {
                let mut chosen: Vec<i64> = Vec::new();
                while (chosen.len() as i64) < days.clamp(1, 5) {
                    let d = rng.range(0, 4);
                    if !chosen.contains(&d) {
                        chosen.push(d);
                    }
                }
                for d in chosen {
                    out.push(work_time(rng, monday + d * DAY_MS));
                }
                monday += 7 * DAY_MS;
            }
        }
        Rhythm::Train(lo, hi) => {
            let first = rng.range(20, 40);
            let mut day = day_start(start) + first * DAY_MS;
            while day < end {
                while weekday(day) >= 5 {
                    day += DAY_MS;
                }
                out.push(work_time(rng, day));
                day += rng.range(lo, hi) * DAY_MS;
            }
        }
    }
    out.retain(|t| *t < end);
    out.sort_unstable();
    out
}

/// Pull requests merged between `start` and `end`, on working days.
pub(super) fn plan_prs(
    rng: &mut Rng,
    p: &Profile,
    count: usize,
    start: i64,
    end: i64,
    team: &[String],
) -> Vec<PlannedPr> {
    let mut out = Vec::with_capacity(count);
    let span = (end - start).max(1);
    while out.len() < count {
        let mut merged = start + rng.range(DAY_MS, span - 1);
        if weekday(merged) >= 5 {
            merged -= 2 * DAY_MS;
        }
        let merged = day_start(merged) + rng.range(9 * 60, 18 * 60) * MINUTE_MS;
        let opened = merged - rng.range(p.pr_open.0, p.pr_open.1);
        if opened <= start || merged >= end {
            continue;
        }
        let n = rng.range(p.commits_per_pr.0, p.commits_per_pr.1).max(1);
        // The first commit comes a little before the pull request opens; the rest before review.
        let first = opened - rng.range(10, 120) * MINUTE_MS;
        let last = opened + (merged - opened) * 2 / 3;
        let mut commits: Vec<i64> = (0..n)
            .map(|i| first + (last - first) * i / n.max(1))
            .collect();
        commits.sort_unstable();
        // Review times from a generator of their own, so that the rest of the history stays
        // as it was: the first review after the team's pickup share of the time open, the
        // approval part way from there to the merge.
        let mut r = Rng::new(opened.unsigned_abs() ^ merged.unsigned_abs().rotate_left(17));
        let first_review = opened + (merged - opened) * r.range(p.pickup.0, p.pickup.1) / 100;
        let approved = first_review + (merged - first_review) * r.range(60, 95) / 100;
        out.push(PlannedPr {
            first_review,
            approved,
            opened,
            merged,
            commits,
            author: rng.pick(team).clone(),
            title: rng.pick(&SUBJECTS).to_string(),
        });
    }
    out
}
