//! The value stream: where a merged pull request's time went, from its first commit to its
//! first production deployment, as a chain of stages between events. Pure definitions, tested
//! by hand; the model (`model/valuestream.rs`) finds each pull request's events.
//!
//! The definitions (docs/metrics.md, "Value stream"):
//!
//! - **Events**, per merged pull request and its first production deployment (the deployment
//!   whose changes include its anchor commit, as for the `pull_request` lead time): first
//!   commit authored (its earliest known commit; without one, the chain starts when it was
//!   opened, as its lead time does), opened, first review by someone other than its author,
//!   approved, merged, CI done on its merge commit, production deployment started and
//!   finished.
//! - **A chain** names its events in order; each stage is the span between two neighbours. The
//!   default chain is contiguous, so the stages of a pull request add up to its total, which
//!   equals its lead time on the `pull_request` basis.
//! - **A missing event** makes its two neighbouring stages one merged stage for that pull
//!   request (`pickup + review`), reported as its own row: never a zero, never counted in its
//!   parts' rows. A review after the merge is a missing review.
//! - **A negative stage** (clock skew) is merged with the next stage for that pull request (the
//!   last with the one before it), and counted in the data quality. A pull request whose whole
//!   total is negative is left out, as DORA does.

crate::named_enum! {
    /// An event of a pull request's way to production.
    #[derive(PartialOrd, Ord)]
    pub enum Point as "value-stream event" {
        FirstCommit = "first_commit",
        Opened = "opened",
        FirstReview = "first_review",
        Approved = "approved",
        Merged = "merged",
        CiDone = "ci_done",
        DeployStarted = "deploy_started",
        DeployFinished = "deploy_finished",
    }
}

crate::named_enum! {
    /// A chain of stages: the default, or review until approved.
    #[derive(Default)]
    pub enum ChainName as "value-stream chain" {
        #[default]
        Default = "default",
        /// Review ends when the pull request is approved; then it waits to be merged.
        Approval = "approval",
    }
}

/// One stage of a chain: its key, its label, and whether it is work (else waiting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage {
    pub key: &'static str,
    pub label: &'static str,
    pub active: bool,
}

const fn stage(key: &'static str, label: &'static str, active: bool) -> Stage {
    Stage { key, label, active }
}

/// A chain: its events in order, and the stage between each two neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chain {
    pub name: ChainName,
    pub points: &'static [Point],
    pub stages: &'static [Stage],
}

const DEFAULT: Chain = Chain {
    name: ChainName::Default,
    points: &[
        Point::FirstCommit,
        Point::Opened,
        Point::FirstReview,
        Point::Merged,
        Point::CiDone,
        Point::DeployStarted,
        Point::DeployFinished,
    ],
    stages: &[
        stage("coding", "coding", true),
        stage("pickup", "pickup", false),
        stage("review", "review", false),
        stage("build_test", "build & test", true),
        stage("release_wait", "release wait", false),
        stage("deploy", "deploy", true),
    ],
};

const APPROVAL: Chain = Chain {
    name: ChainName::Approval,
    points: &[
        Point::FirstCommit,
        Point::Opened,
        Point::FirstReview,
        Point::Approved,
        Point::Merged,
        Point::CiDone,
        Point::DeployStarted,
        Point::DeployFinished,
    ],
    stages: &[
        stage("coding", "coding", true),
        stage("pickup", "pickup", false),
        stage("review", "review", false),
        stage("merge_wait", "merge wait", false),
        stage("build_test", "build & test", true),
        stage("release_wait", "release wait", false),
        stage("deploy", "deploy", true),
    ],
};

impl ChainName {
    pub fn chain(self) -> Chain {
        match self {
            ChainName::Default => DEFAULT,
            ChainName::Approval => APPROVAL,
        }
    }
}

/// A pull request's events, in ms (`None`: missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Events {
    pub first_commit: Option<i64>,
    pub opened: Option<i64>,
    pub first_review: Option<i64>,
    pub approved: Option<i64>,
    pub merged: Option<i64>,
    pub ci_done: Option<i64>,
    pub deploy_started: Option<i64>,
    pub deploy_finished: Option<i64>,
}

impl Events {
    pub fn at(&self, p: Point) -> Option<i64> {
        match p {
            Point::FirstCommit => self.first_commit,
            Point::Opened => self.opened,
            Point::FirstReview => self.first_review,
            Point::Approved => self.approved,
            Point::Merged => self.merged,
            Point::CiDone => self.ci_done,
            Point::DeployStarted => self.deploy_started,
            Point::DeployFinished => self.deploy_finished,
        }
    }
}

/// One span of a pull request's way: the stages `from..to` of its chain (more than one: a
/// merged stage), and how long it took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: usize,
    pub to: usize,
    pub ms: i64,
}

impl Span {
    /// The stages it covers, as the chain names them (`pickup + review`), and its key
    /// (`pickup+review`).
    pub fn label(&self, chain: &Chain) -> (String, String) {
        let parts = &chain.stages[self.from..self.to];
        (
            parts
                .iter()
                .map(|s| s.label)
                .collect::<Vec<_>>()
                .join(" + "),
            parts.iter().map(|s| s.key).collect::<Vec<_>>().join("+"),
        )
    }

    /// Whether it is one stage of the chain (not merged).
    pub fn single(&self) -> bool {
        self.to == self.from + 1
    }
}

/// A pull request's spans along a chain, and what the definitions changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Way {
    pub spans: Vec<Span>,
    /// Negative stages merged with a neighbour.
    pub negative_merged: u32,
    /// Events missing (their stages merged), by the chain's position.
    pub missing: Vec<usize>,
}

impl Way {
    /// Its total: the sum of its spans (from its first event to the deployment's end).
    pub fn total(&self) -> i64 {
        self.spans.iter().map(|s| s.ms).sum()
    }
}

/// The most points a chain has: each event of the catalogue once (tested).
const MAX_POINTS: usize = Point::ALL.len();

/// A pull request's way along `chain`, or `None` when it has no end (no deployment finish),
/// no start, or a negative total (left out, as DORA leaves out a negative lead time).
///
/// The first event is the chain's first that is known (a pull request whose commits are
/// unknown starts when it was opened); the others that are missing merge their neighbouring
/// stages; a review or approval after the merge counts as missing.
pub fn way(chain: &Chain, e: &Events) -> Option<Way> {
    let merged = e.merged;
    let known = |p: Point| -> Option<i64> {
        let t = e.at(p)?;
        // A review (or approval) posted after the merge is no stage of the way to it.
        if matches!(p, Point::FirstReview | Point::Approved) && merged.is_some_and(|m| t > m) {
            return None;
        }
        Some(t)
    };
    // The known points, in chain order: on the stack (a chain has a handful), as this runs
    // once per pull request of a query.
    let mut points = [(0usize, 0i64); MAX_POINTS];
    let mut n = 0;
    for (i, p) in chain.points.iter().enumerate().take(MAX_POINTS) {
        if let Some(t) = known(*p) {
            points[n] = (i, t);
            n += 1;
        }
    }
    let (&(first, start), &(last, end)) = (points[..n].first()?, points[..n].last()?);
    if last != chain.points.len() - 1 || end < start {
        return None;
    }
    let mut out = Way {
        missing: (first..last)
            .filter(|i| !points[..n].iter().any(|(j, _)| j == i))
            .collect(),
        ..Way::default()
    };
    // Drop the point that ends a negative span (merging it with the next); the last span's
    // start, when it is the one that is negative.
    loop {
        let negative = points[..n].windows(2).position(|w| w[1].1 < w[0].1);
        let Some(k) = negative else { break };
        out.negative_merged += 1;
        let drop = if k + 2 < n { k + 1 } else { k };
        points.copy_within(drop + 1..n, drop);
        n -= 1;
    }
    out.spans = points[..n]
        .windows(2)
        .map(|w| Span {
            from: w[0].0,
            to: w[1].0,
            ms: w[1].1 - w[0].1,
        })
        .collect();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn every_chain_fits_the_points_way_keeps() {
        for name in ChainName::ALL {
            assert!(name.chain().points.len() <= MAX_POINTS, "{name:?}");
        }
    }

    fn full() -> Events {
        // Commit at 0, opened 1 h, reviewed 3 h, approved 4 h, merged 5 h, CI done 5.5 h,
        // deploy 8 h → 8.25 h.
        Events {
            first_commit: Some(0),
            opened: Some(H),
            first_review: Some(3 * H),
            approved: Some(4 * H),
            merged: Some(5 * H),
            ci_done: Some(5 * H + H / 2),
            deploy_started: Some(8 * H),
            deploy_finished: Some(8 * H + H / 4),
        }
    }

    fn spans(w: &Way, chain: &Chain) -> Vec<(String, i64)> {
        w.spans.iter().map(|s| (s.label(chain).1, s.ms)).collect()
    }

    #[test]
    fn the_default_chain_adds_up_to_the_total() {
        let c = ChainName::Default.chain();
        let w = way(&c, &full()).unwrap();
        assert_eq!(
            spans(&w, &c),
            [
                ("coding".into(), H),
                ("pickup".into(), 2 * H),
                ("review".into(), 2 * H),
                ("build_test".into(), H / 2),
                ("release_wait".into(), 2 * H + H / 2),
                ("deploy".into(), H / 4),
            ]
        );
        assert_eq!(w.total(), 8 * H + H / 4);
        assert_eq!((w.negative_merged, w.missing.clone()), (0, vec![]));
        // Review until approved: review ends at the approval, then it waits to be merged.
        let a = ChainName::Approval.chain();
        let w = way(&a, &full()).unwrap();
        let s = spans(&w, &a);
        assert_eq!(
            (s[2].clone(), s[3].clone()),
            (("review".into(), H), ("merge_wait".into(), H))
        );
        assert_eq!(w.total(), 8 * H + H / 4);
    }

    #[test]
    fn a_missing_event_merges_its_neighbours() {
        let c = ChainName::Default.chain();
        // No review: pickup + review from opened to merged (4 h).
        let mut e = full();
        e.first_review = None;
        let w = way(&c, &e).unwrap();
        assert_eq!(spans(&w, &c)[1], ("pickup+review".into(), 4 * H));
        assert_eq!(w.spans[1].label(&c).0, "pickup + review");
        assert_eq!(w.missing, [2]);
        // A review after the merge is none.
        e.first_review = Some(6 * H);
        assert_eq!(
            spans(&way(&c, &e).unwrap(), &c)[1],
            ("pickup+review".into(), 4 * H)
        );
        // No CI on the merge commit: build & test + release wait, merged to deploy start.
        let mut e = full();
        e.ci_done = None;
        let w = way(&c, &e).unwrap();
        assert_eq!(spans(&w, &c)[3], ("build_test+release_wait".into(), 3 * H));
        assert!(!w.spans[3].single());
        // Unknown commits: it starts when opened (no coding stage), as its lead time does.
        let mut e = full();
        e.first_commit = None;
        let w = way(&c, &e).unwrap();
        assert_eq!(spans(&w, &c)[0], ("pickup".into(), 2 * H));
        assert_eq!(w.total(), 7 * H + H / 4);
        // No deployment finish: no way.
        let mut e = full();
        e.deploy_finished = None;
        assert!(way(&c, &e).is_none());
    }

    #[test]
    fn a_negative_stage_merges_with_the_next_and_a_negative_total_is_left_out() {
        let c = ChainName::Default.chain();
        // CI "done" before the merge (clock skew): build & test is −30 min, merged with the
        // release wait: merged 5 h → deploy start 8 h = 3 h.
        let mut e = full();
        e.ci_done = Some(5 * H - H / 2);
        let w = way(&c, &e).unwrap();
        assert_eq!(spans(&w, &c)[3], ("build_test+release_wait".into(), 3 * H));
        assert_eq!(w.negative_merged, 1);
        assert_eq!(w.total(), 8 * H + H / 4);
        // The last stage negative (deploy finished before it started): merged with the one
        // before it.
        let mut e = full();
        e.deploy_finished = Some(8 * H - H / 4);
        let w = way(&c, &e).unwrap();
        let s = spans(&w, &c);
        assert_eq!(
            s.last().unwrap(),
            &("release_wait+deploy".into(), 2 * H + H / 4)
        );
        assert_eq!(w.total(), 8 * H - H / 4);
        // Deployed before its first commit: left out.
        let mut e = full();
        e.first_commit = Some(9 * H);
        e.opened = Some(9 * H);
        assert!(way(&c, &e).is_none());
    }

    proptest::proptest! {
        /// For any events (each present or missing, at any time, clock skew included) along
        /// either chain: a way exists exactly when the deployment finished, no earlier than the
        /// first known event; its stages then run one after the other from that event to the
        /// deployment's end, none negative, and add up exactly to that span, which is the
        /// `pull_request`-basis lead time (first commit → deployment finished) when the first
        /// commit is known.
        #[test]
        fn the_stages_add_up_to_the_pull_request_lead_time(
            times in proptest::collection::vec(proptest::option::weighted(0.8, -20i64..200), 8),
            approval in proptest::bool::ANY,
        ) {
            let t = |i: usize| times[i].map(|x| x * H / 10);
            let e = Events {
                first_commit: t(0),
                opened: t(1),
                first_review: t(2),
                approved: t(3),
                merged: t(4),
                ci_done: t(5),
                deploy_started: t(6),
                deploy_finished: t(7),
            };
            let c = if approval { ChainName::Approval } else { ChainName::Default }.chain();
            // Independently: the chain's known points (a review or approval after the merge is
            // none), the first and the last.
            let known: Vec<(usize, i64)> = c
                .points
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let v = e.at(*p)?;
                    let late = matches!(p, Point::FirstReview | Point::Approved)
                        && e.merged.is_some_and(|m| v > m);
                    (!late).then_some((i, v))
                })
                .collect();
            let end_index = c.points.len() - 1;
            let expected = match (known.first(), known.last()) {
                (Some(&(first, start)), Some(&(last, end))) if last == end_index && end >= start => {
                    Some((first, start, end))
                }
                _ => None,
            };
            let got = way(&c, &e);
            proptest::prop_assert_eq!(got.is_some(), expected.is_some(), "{:?}", e);
            if let (Some(w), Some((first, start, end))) = (got, expected) {
                proptest::prop_assert_eq!(w.total(), end - start);
                if let (Some(a), Some(b)) = (e.first_commit, e.deploy_finished) {
                    proptest::prop_assert_eq!(w.total(), b - a);
                }
                proptest::prop_assert!(w.spans.iter().all(|s| s.ms >= 0 && s.to > s.from), "{:?}", w);
                if first < end_index {
                    proptest::prop_assert_eq!(w.spans.first().map(|s| s.from), Some(first));
                    proptest::prop_assert_eq!(w.spans.last().map(|s| s.to), Some(end_index));
                }
                for pair in w.spans.windows(2) {
                    proptest::prop_assert_eq!(pair[0].to, pair[1].from);
                }
                // A missing point is never a stage boundary.
                for &m in &w.missing {
                    proptest::prop_assert!(w.spans.iter().all(|s| s.from != m && s.to != m));
                }
            }
        }
    }
}
