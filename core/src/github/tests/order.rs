//! The merge's laws over the recorded deliveries: any order, any redelivery, the same state.

use super::*;

/// Every recorded delivery a test can mix, and variants of them.
fn deliveries() -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = vec![
        ("deployment", fixture!("deployment").into()),
        ("deployment_status", fixture!("deployment_status").into()),
        ("pull_request", fixture!("pull_request.opened").into()),
        ("pull_request", fixture!("pull_request.synchronize").into()),
        ("pull_request", fixture!("pull_request.closed").into()),
        (
            "pull_request_review",
            fixture!("pull_request_review.submitted").into(),
        ),
        ("workflow_run", fixture!("workflow_run.requested").into()),
        ("workflow_run", fixture!("workflow_run.completed").into()),
        ("workflow_job", fixture!("workflow_job.queued").into()),
        ("workflow_job", fixture!("workflow_job.in_progress").into()),
        (
            "workflow_job",
            fixture!("workflow_job.completed.success.with-organization").into(),
        ),
        (
            "workflow_job",
            fixture!("workflow_job.completed.failure.with-organization").into(),
        ),
        ("push", fixture!("push.with-new-branch").into()),
    ];
    for (state, at) in [
        ("in_progress", "2019-05-15T15:20:54Z"),
        ("failure", "2019-05-15T15:20:54Z"),
    ] {
        out.push((
            "deployment_status",
            with(fixture!("deployment_status"), |v| {
                v["deployment_status"]["state"] = json!(state);
                v["deployment_status"]["created_at"] = json!(at);
            }),
        ));
    }
    out.push((
        "pull_request_review",
        with(fixture!("pull_request_review.submitted"), |v| {
            v["review"]["user"]["login"] = json!("hubot")
        }),
    ));
    out.push((
        "pull_request",
        with(fixture!("pull_request.closed"), |v| {
            v["pull_request"]["merged_at"] = json!("2019-05-15T15:21:18Z")
        }),
    ));
    out
}

/// The stored state after the deliveries in this order: each merged into what its key holds.
fn stored(order: &[usize], all: &[Vec<Versioned>]) -> Vec<(String, Versioned)> {
    let mut by_key = std::collections::BTreeMap::<String, Versioned>::new();
    for &i in order {
        for v in &all[i] {
            let k = format!("{:?}", v.event.key());
            let next = match by_key.remove(&k) {
                Some(old) => merge(old, v.clone()),
                None => v.clone(),
            };
            by_key.insert(k, next);
        }
    }
    by_key.into_iter().collect()
}

proptest! {
    /// Any order of the deliveries, with any of them delivered twice, ends in the same state.
    #[test]
    fn every_order_and_redelivery_ends_in_the_same_state(
        order in Just((0..deliveries().len()).collect::<Vec<_>>()).prop_shuffle(),
        again in proptest::collection::vec(0..deliveries().len(), 0..6),
    ) {
        let all: Vec<Vec<Versioned>> = deliveries()
            .iter()
            .map(|(e, b)| match map(e, b.as_bytes(), &rules()).unwrap() {
                Mapped::Events(v, _) => v,
                _ => Vec::new(),
            })
            .collect();
        let natural: Vec<usize> = (0..all.len()).collect();
        let mut shuffled = order.clone();
        shuffled.extend(again);
        prop_assert_eq!(stored(&natural, &all), stored(&shuffled, &all));
    }
}

#[test]
fn merging_is_idempotent() {
    for (e, b) in deliveries() {
        if let Mapped::Events(v, _) = map(e, b.as_bytes(), &rules()).unwrap() {
            for x in v {
                assert_eq!(merge(x.clone(), x.clone()), x, "{e}");
            }
        }
    }
}
