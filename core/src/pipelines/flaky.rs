//! Flaky jobs: a job of one repository, workflow and sha that failed, then passed in a later
//! attempt of the same run or in a later run.

use super::Outcome;

/// One attempt of a (repository, workflow, sha), with its jobs' outcomes. `R` is the caller's
/// handle on the attempt, `L` its name for a job.
#[derive(Debug, Clone)]
pub struct AttemptJobs<R, L> {
    pub attempt: R,
    /// When it finished: attempts are taken in this order (then by `number`).
    pub finished: i64,
    pub number: u32,
    /// Its wall time, when known.
    pub duration: Option<i64>,
    /// Each job: its name, its outcome and its own duration.
    pub jobs: Vec<(L, Outcome, Option<i64>)>,
}

/// A job that failed, then passed: the attempts in which it failed since it last passed, and
/// the one in which it passed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Occurrence<R, L> {
    pub job: L,
    pub failed: Vec<R>,
    pub passed: R,
    /// When the passing attempt finished: the occurrence's time.
    pub passed_at: i64,
    /// The wall time of the failed attempts (those of unknown duration count nothing, and are
    /// counted in `unknown`).
    pub time_lost: i64,
    /// The failed job's own time in them.
    pub failed_job_time: i64,
    pub unknown: u32,
}

/// Every occurrence among `attempts` (all of one repository, workflow and sha, in any order):
/// for each job name, each pass that follows at least one failure since the job last passed.
/// Running, cancelled and skipped jobs neither fail nor pass. An attempt in which several jobs
/// failed is charged to each of them.
pub fn flaky_occurrences<R: Copy, L: Copy + Ord>(
    attempts: &mut [AttemptJobs<R, L>],
) -> Vec<Occurrence<R, L>> {
    attempts.sort_by_key(|a| (a.finished, a.number));
    let mut names: Vec<L> = attempts
        .iter()
        .flat_map(|a| a.jobs.iter().map(|j| j.0))
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut out = Vec::new();
    for name in names {
        let mut failed: Vec<R> = Vec::new();
        let (mut lost, mut own, mut unknown) = (0i64, 0i64, 0u32);
        for a in attempts.iter() {
            // A job name once per attempt: a failure if any of that name failed, a pass if
            // all that ended passed.
            let mut fail = false;
            let mut pass = false;
            let mut own_time = 0;
            for (_, o, d) in a.jobs.iter().filter(|j| j.0 == name) {
                match o {
                    Outcome::Failure => {
                        fail = true;
                        own_time += d.unwrap_or(0);
                    }
                    Outcome::Success => pass = true,
                    _ => {}
                }
            }
            if fail {
                failed.push(a.attempt);
                match a.duration {
                    Some(d) => lost += d,
                    None => unknown += 1,
                }
                own += own_time;
            } else if pass && !failed.is_empty() {
                out.push(Occurrence {
                    job: name,
                    failed: std::mem::take(&mut failed),
                    passed: a.attempt,
                    passed_at: a.finished,
                    time_lost: lost,
                    failed_job_time: own,
                    unknown,
                });
                (lost, own, unknown) = (0, 0, 0);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::*;

    fn attempt(
        id: u32,
        finished: i64,
        number: u32,
        duration: Option<i64>,
        jobs: &[(&'static str, Outcome, Option<i64>)],
    ) -> AttemptJobs<u32, &'static str> {
        AttemptJobs {
            attempt: id,
            finished,
            number,
            duration,
            jobs: jobs.to_vec(),
        }
    }

    #[test]
    fn a_failure_then_a_pass_in_a_later_attempt_is_one_occurrence() {
        let m = 60_000;
        // Run 1: "test" fails at 10 min (the attempt took 8 min, the job 5); attempt 2
        // passes at 25 min. "lint" passes both times: not flaky.
        let mut a = vec![
            attempt(
                2,
                25 * m,
                2,
                Some(9 * m),
                &[("lint", Success, None), ("test", Success, Some(6 * m))],
            ),
            attempt(
                1,
                10 * m,
                1,
                Some(8 * m),
                &[("lint", Success, None), ("test", Failure, Some(5 * m))],
            ),
        ];
        let o = flaky_occurrences(&mut a);
        assert_eq!(
            o,
            vec![Occurrence {
                job: "test",
                failed: vec![1],
                passed: 2,
                passed_at: 25 * m,
                time_lost: 8 * m,
                failed_job_time: 5 * m,
                unknown: 0,
            }]
        );
    }

    #[test]
    fn failures_before_a_pass_add_up_and_a_pass_resets() {
        let m = 60_000;
        // fail (4 min), fail (duration unknown), pass, fail (3 min), pass in a later run:
        // two occurrences, the first losing 4 min with one attempt of unknown time.
        let mut a = vec![
            attempt(1, 10 * m, 1, Some(4 * m), &[("e2e", Failure, Some(2 * m))]),
            attempt(2, 20 * m, 2, None, &[("e2e", Failure, Some(m))]),
            attempt(3, 30 * m, 3, Some(5 * m), &[("e2e", Success, None)]),
            attempt(4, 40 * m, 1, Some(3 * m), &[("e2e", Failure, None)]),
            attempt(5, 50 * m, 1, Some(3 * m), &[("e2e", Success, None)]),
        ];
        let o = flaky_occurrences(&mut a);
        assert_eq!(o.len(), 2);
        assert_eq!((o[0].failed.clone(), o[0].passed), (vec![1, 2], 3));
        assert_eq!(
            (o[0].time_lost, o[0].failed_job_time, o[0].unknown),
            (4 * m, 3 * m, 1)
        );
        assert_eq!(
            (o[1].failed.clone(), o[1].passed, o[1].time_lost),
            (vec![4], 5, 3 * m)
        );
    }

    #[test]
    fn a_pass_first_a_failure_last_cancellations_and_skips_are_not_flaky() {
        let mut a = vec![
            attempt(
                1,
                1,
                1,
                Some(1),
                &[("build", Success, None), ("deploy", Cancelled, None)],
            ),
            attempt(
                2,
                2,
                2,
                Some(1),
                &[("build", Failure, None), ("deploy", Skipped, None)],
            ),
            attempt(
                3,
                3,
                3,
                Some(1),
                &[("deploy", Success, None), ("docs", Running, None)],
            ),
        ];
        assert!(flaky_occurrences(&mut a).is_empty());
    }

    #[test]
    fn an_attempt_where_two_jobs_failed_is_charged_to_each() {
        let mut a = vec![
            attempt(
                1,
                1,
                1,
                Some(10),
                &[("a", Failure, Some(2)), ("b", Failure, Some(3))],
            ),
            attempt(
                2,
                2,
                2,
                Some(10),
                &[("a", Success, None), ("b", Success, None)],
            ),
        ];
        let o = flaky_occurrences(&mut a);
        let lost: Vec<(&str, i64, i64)> = o
            .iter()
            .map(|o| (o.job, o.time_lost, o.failed_job_time))
            .collect();
        assert_eq!(lost, vec![("a", 10, 2), ("b", 10, 3)]);
    }
}
