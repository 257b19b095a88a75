//! The mapping of the recorded GitHub payloads (core/tests/fixtures/github, octokit/webhooks,
//! MIT) and the merge's laws. Expected values are read off the fixture files by hand.

use super::*;
use crate::events::EnvironmentTier;
use proptest::prelude::*;
use serde_json::json;

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!(
            "../../../tests/fixtures/github/",
            $name,
            ".payload.json"
        ))
    };
}

fn rules() -> Rules {
    Rules {
        repos: vec![RepoRule {
            repo: "Codertocat/Hello-World".into(),
            service: "hello".into(),
        }],
        ..Rules::default()
    }
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn events(m: Mapped) -> Vec<Versioned> {
    match m {
        Mapped::Events(e, _) => e,
        other => panic!("expected events, got {other:?}"),
    }
}

fn one(event: &str, body: &str) -> Versioned {
    let mut e = events(map(event, body.as_bytes(), &rules()).unwrap());
    assert_eq!(e.len(), 1, "{e:?}");
    e.remove(0)
}

/// A fixture with some fields replaced (a derived variant, named as such in each test).
fn with(body: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(body).unwrap();
    edit(&mut v);
    v.to_string()
}

#[test]
fn a_deployment_is_in_progress_from_its_creation() {
    let v = one("deployment", fixture!("deployment"));
    let Event::Deployment(d) = &v.event else {
        panic!()
    };
    assert_eq!(d.id, "145988746");
    assert_eq!(d.service, "hello");
    assert_eq!(d.environment, "production");
    assert_eq!(d.status, DeploymentStatus::InProgress);
    assert_eq!(d.started_at, Some(t("2019-05-15T15:20:53Z")));
    assert_eq!(d.finished_at, None);
    assert_eq!(d.sha, "f95f852bd8fca8fcc58a9a2d6c842781e32a215e");
    assert_eq!(d.source, "github");
}

#[test]
fn a_success_status_ends_the_deployment_and_either_order_gives_the_same_state() {
    let created = one("deployment", fixture!("deployment"));
    let status = one("deployment_status", fixture!("deployment_status"));
    let Event::Deployment(d) = &status.event else {
        panic!()
    };
    assert_eq!(d.status, DeploymentStatus::Success);
    assert_eq!(d.finished_at, Some(t("2019-05-15T15:20:55Z")));
    assert_eq!(d.started_at, Some(t("2019-05-15T15:20:53Z")));
    let ab = merge(created.clone(), status.clone());
    let ba = merge(status.clone(), created);
    assert_eq!(ab, ba);
    assert_eq!(ab.event, status.event);
}

#[test]
fn failure_and_error_are_failed_attempts_and_inactive_is_no_deployment() {
    for state in ["failure", "error"] {
        let body = with(fixture!("deployment_status"), |v| {
            v["deployment_status"]["state"] = json!(state)
        });
        let Event::Deployment(d) = one("deployment_status", &body).event else {
            panic!()
        };
        assert_eq!(d.status, DeploymentStatus::Failure, "{state}");
        assert_eq!(d.finished_at, Some(t("2019-05-15T15:20:55Z")));
    }
    let inactive = with(fixture!("deployment_status"), |v| {
        v["deployment_status"]["state"] = json!("inactive")
    });
    assert!(matches!(
        map("deployment_status", inactive.as_bytes(), &rules()).unwrap(),
        Mapped::Ignored(_)
    ));
    let odd = with(fixture!("deployment_status"), |v| {
        v["deployment_status"]["state"] = json!("exploded")
    });
    let e = map("deployment_status", odd.as_bytes(), &rules()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("deployment_status.state"));
}

#[test]
fn a_success_after_a_failed_attempt_wins_in_any_order() {
    let failed = with(fixture!("deployment_status"), |v| {
        v["deployment_status"]["state"] = json!("failure");
        v["deployment_status"]["created_at"] = json!("2019-05-15T15:20:54Z");
    });
    let failed = one("deployment_status", &failed);
    let ok = one("deployment_status", fixture!("deployment_status"));
    let created = one("deployment", fixture!("deployment"));
    let all = [failed, ok.clone(), created];
    for order in [
        [0, 1, 2],
        [2, 1, 0],
        [1, 0, 2],
        [1, 2, 0],
        [0, 2, 1],
        [2, 0, 1],
    ] {
        let m = order[1..]
            .iter()
            .fold(all[order[0]].clone(), |acc, &i| merge(acc, all[i].clone()));
        assert_eq!(m.event, ok.event, "{order:?}");
    }
}

#[test]
fn an_unmapped_repository_is_kept_and_named() {
    let m = map(
        "deployment",
        fixture!("deployment").as_bytes(),
        &Rules::default(),
    )
    .unwrap();
    let Mapped::Unmapped(why) = m else {
        panic!("{m:?}")
    };
    assert!(why.contains("Codertocat/Hello-World"), "{why}");
    assert!(why.contains("[[sources.github.repos]]"), "{why}");
}

#[test]
fn repository_rules_match_exactly_then_by_owner() {
    let r = Rules {
        repos: vec![
            RepoRule {
                repo: "acme/*".into(),
                service: "acme-any".into(),
            },
            RepoRule {
                repo: "acme/shop".into(),
                service: "shop".into(),
            },
        ],
        ..Rules::default()
    };
    assert_eq!(r.service_of("acme/shop"), Some("shop"));
    assert_eq!(r.service_of("ACME/Shop"), Some("shop"));
    assert_eq!(r.service_of("acme/cart"), Some("acme-any"));
    assert_eq!(r.service_of("other/shop"), None);
}

#[test]
fn environment_tiers_come_from_rules_then_github_then_the_name() {
    let r = Rules {
        environments: vec![("eu-live-1".into(), EnvironmentTier::Staging)],
        ..Rules::default()
    };
    assert_eq!(r.tier_of("EU-LIVE-1", true), Some(EnvironmentTier::Staging));
    assert_eq!(
        r.tier_of("customer-facing", true),
        Some(EnvironmentTier::Production)
    );
    // None: the default mapping of the name applies (production here).
    assert_eq!(r.tier_of("production", true), None);
    assert_eq!(r.tier_of("qa", false), None);
}

#[test]
fn a_push_chains_its_commits_from_before() {
    let before = "1111111111111111111111111111111111111111";
    let body = with(fixture!("push.with-new-branch"), |v| {
        v["before"] = json!(before);
        let first = v["commits"][0].clone();
        let mut second = first.clone();
        second["id"] = json!("2222222222222222222222222222222222222222");
        second["timestamp"] = json!("2019-05-15T15:30:00Z");
        v["commits"] = json!([first, second]);
    });
    let Mapped::Events(e, notes) = map("push", body.as_bytes(), &rules()).unwrap() else {
        panic!()
    };
    assert!(notes.is_empty(), "{notes:?}");
    let commits: Vec<_> = e
        .iter()
        .map(|v| match &v.event {
            Event::Commit(c) => c.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(commits[0].sha, "6113728f27ae82c7b1a177c8d03f9e96e0adf246");
    assert_eq!(commits[0].parents, vec![before.to_owned()]);
    assert_eq!(commits[1].parents, vec![commits[0].sha.clone()]);
    assert_eq!(commits[0].repo, "Codertocat/Hello-World");
    assert_eq!(commits[0].author.as_deref(), Some("Codertocat"));
    assert_eq!(commits[0].authored_at, t("2019-05-15T15:19:25Z"));
    assert_eq!(commits[1].authored_at, t("2019-05-15T15:30:00Z"));
}

#[test]
fn a_new_branch_has_no_known_parent_and_says_so() {
    let Mapped::Events(e, notes) = map(
        "push",
        fixture!("push.with-new-branch").as_bytes(),
        &rules(),
    )
    .unwrap() else {
        panic!()
    };
    let Event::Commit(c) = &e[0].event else {
        panic!()
    };
    assert!(c.parents.is_empty());
    assert_eq!(notes.len(), 1);
}

#[test]
fn tag_pushes_and_deletions_produce_no_commits() {
    // Both recorded pushes are a deleted tag.
    for body in [fixture!("push"), fixture!("push.with-organization")] {
        let m = map("push", body.as_bytes(), &rules()).unwrap();
        assert!(
            matches!(&m, Mapped::Ignored(r) if r.contains("tag")),
            "{m:?}"
        );
    }
    let branch_deleted = with(fixture!("push"), |v| v["ref"] = json!("refs/heads/feature"));
    let m = map("push", branch_deleted.as_bytes(), &rules()).unwrap();
    assert!(
        matches!(&m, Mapped::Ignored(r) if r.contains("deleted")),
        "{m:?}"
    );
}

#[test]
fn a_push_of_the_most_commits_github_sends_does_not_guess_the_first_parent() {
    let body = with(fixture!("push.with-new-branch"), |v| {
        v["before"] = json!("1111111111111111111111111111111111111111");
        let first = v["commits"][0].clone();
        let all: Vec<_> = (0..PUSH_COMMITS_MAX)
            .map(|i| {
                let mut c = first.clone();
                c["id"] = json!(format!("{i:040x}"));
                c
            })
            .collect();
        v["commits"] = json!(all);
    });
    let Mapped::Events(e, notes) = map("push", body.as_bytes(), &rules()).unwrap() else {
        panic!()
    };
    assert_eq!(e.len(), PUSH_COMMITS_MAX);
    let Event::Commit(c0) = &e[0].event else {
        panic!()
    };
    assert!(c0.parents.is_empty());
    let Event::Commit(last) = &e[PUSH_COMMITS_MAX - 1].event else {
        panic!()
    };
    assert_eq!(last.parents, vec![format!("{:040x}", PUSH_COMMITS_MAX - 2)]);
    assert!(notes[0].contains("2048"), "{notes:?}");
}

#[test]
fn pull_requests_keep_their_earliest_merge_and_first_review() {
    let opened = one("pull_request", fixture!("pull_request.opened"));
    let Event::PullRequest(p) = &opened.event else {
        panic!()
    };
    assert_eq!(
        (p.repo.as_str(), p.id.as_str()),
        ("Codertocat/Hello-World", "2")
    );
    assert_eq!(p.opened_at, t("2019-05-15T15:20:33Z"));
    // GitHub's test merge commit of an open pull request is not a merge.
    assert_eq!(p.merge_commit, None);
    // Derived: no recorded example is merged; this one is, at 15:21:18.
    let merged = with(fixture!("pull_request.closed"), |v| {
        v["pull_request"]["merged"] = json!(true);
        v["pull_request"]["merged_at"] = json!("2019-05-15T15:21:18Z");
    });
    let merged = one("pull_request", &merged);
    // The recorded review is by the author: it is not a first review.
    let own = one(
        "pull_request_review",
        fixture!("pull_request_review.submitted"),
    );
    let Event::PullRequest(o) = &own.event else {
        panic!()
    };
    assert_eq!(o.first_review_at, None);
    // Derived: the same review by someone else.
    let other = with(fixture!("pull_request_review.submitted"), |v| {
        v["review"]["user"]["login"] = json!("hubot")
    });
    let review = one("pull_request_review", &other);
    let all = [opened, merged, own, review];
    let fold = |order: &[usize]| {
        order[1..]
            .iter()
            .fold(all[order[0]].clone(), |acc, &i| merge(acc, all[i].clone()))
    };
    let m = fold(&[0, 1, 2, 3]);
    assert_eq!(m, fold(&[3, 2, 1, 0]));
    assert_eq!(m, fold(&[2, 0, 3, 1]));
    let Event::PullRequest(p) = m.event else {
        panic!()
    };
    assert_eq!(p.merged_at, Some(t("2019-05-15T15:21:18Z")));
    assert_eq!(
        p.merge_commit.as_deref(),
        Some("c4295bd74fb0f4fda03689c3df3f2803b658fd85")
    );
    assert_eq!(p.first_review_at, Some(t("2019-05-15T15:20:38Z")));
    assert_eq!(p.opened_at, t("2019-05-15T15:20:33Z"));
}

#[test]
fn runs_are_kept_per_attempt_with_their_jobs_and_steps() {
    let run = one("workflow_run", fixture!("workflow_run.completed"));
    let Event::PipelineRun(r) = &run.event else {
        panic!()
    };
    assert_eq!(r.id, "289782451-1");
    assert_eq!(r.attempt, Some(1));
    assert_eq!(r.repo, "octo-org/octo-repo");
    assert_eq!(r.status, "completed");
    assert_eq!(r.conclusion.as_deref(), Some("success"));
    assert_eq!(r.queued_at, Some(t("2020-10-05T16:33:24Z")));
    assert_eq!(r.started_at, Some(t("2020-10-05T16:33:49Z")));
    assert_eq!(r.finished_at, Some(t("2020-10-05T16:33:49Z")));
    assert_eq!(r.trigger.as_deref(), Some("repository_dispatch"));

    // A second attempt: its own key, and no queue start from the run's `created_at`.
    let second = with(fixture!("workflow_run.completed"), |v| {
        v["workflow_run"]["run_attempt"] = json!(2)
    });
    let Event::PipelineRun(r2) = one("workflow_run", &second).event else {
        panic!()
    };
    assert_eq!(r2.id, "289782451-2");
    assert_eq!(r2.queued_at, None);

    let job = one(
        "workflow_job",
        fixture!("workflow_job.completed.failure.with-organization"),
    );
    let Event::PipelineRun(j) = &job.event else {
        panic!()
    };
    assert_eq!(j.id, "2202229078-1");
    let job0 = &j.jobs[0];
    assert_eq!(job0.name, "linters");
    assert_eq!(job0.category.as_deref(), Some("lint"));
    assert_eq!(job0.conclusion.as_deref(), Some("failure"));
    assert_eq!(job0.created_at, Some(t("2021-08-05T10:33:58Z")));
    assert_eq!(job0.started_at, Some(t("2021-08-05T10:34:58Z")));
    assert_eq!(job0.finished_at, Some(t("2021-08-05T10:38:16Z")));
    assert!(job0.steps.len() >= 8);
    assert_eq!(job0.steps[7].name, "Run yarn run format-check");
    assert_eq!(job0.steps[7].conclusion.as_deref(), Some("failure"));
}

#[test]
fn a_job_before_its_run_and_after_it_converge() {
    // Derived: the recorded run, moved to the recorded failed job's run id.
    let run = with(fixture!("workflow_run.completed"), |v| {
        v["workflow_run"]["id"] = json!(2202229078_i64)
    });
    let run = one("workflow_run", &run);
    let queued = with(
        fixture!("workflow_job.completed.failure.with-organization"),
        |v| {
            v["workflow_job"]["status"] = json!("queued");
            v["workflow_job"]["conclusion"] = json!(null);
            v["workflow_job"]["completed_at"] = json!(null);
        },
    );
    let queued = one("workflow_job", &queued);
    let done = one(
        "workflow_job",
        fixture!("workflow_job.completed.failure.with-organization"),
    );
    let all = [run.clone(), queued, done];
    let fold = |order: &[usize]| {
        order[1..]
            .iter()
            .fold(all[order[0]].clone(), |acc, &i| merge(acc, all[i].clone()))
    };
    let m = fold(&[0, 1, 2]);
    for order in [[2, 1, 0], [1, 0, 2], [1, 2, 0], [0, 2, 1], [2, 0, 1]] {
        assert_eq!(fold(&order), m, "{order:?}");
    }
    let Event::PipelineRun(r) = m.event else {
        panic!()
    };
    assert_eq!(r.status, "completed");
    assert_eq!(r.jobs.len(), 1);
    assert_eq!(r.jobs[0].status.as_deref(), Some("completed"));
}

#[test]
fn incident_labelled_issues_become_incidents_with_their_cause() {
    let plain = map("issues", fixture!("issues.opened").as_bytes(), &rules()).unwrap();
    assert!(matches!(plain, Mapped::Ignored(_)), "{plain:?}");
    // Derived: labelled `incident` and `sev2`, naming its cause in the body, then closed.
    let open = with(fixture!("issues.opened"), |v| {
        v["issue"]["labels"] = json!([{"name": "Incident"}, {"name": "sev2"}]);
        v["issue"]["body"] = json!("Checkout is down.\ncaused-by: 145988746\n");
    });
    let open = one("issues", &open);
    let Event::Incident(i) = &open.event else {
        panic!()
    };
    assert_eq!(i.id, "Codertocat/Hello-World#1");
    assert_eq!(i.service, "hello");
    assert_eq!(i.started_at, t("2019-05-15T15:20:18Z"));
    assert_eq!(i.resolved_at, None);
    assert_eq!(i.severity.as_deref(), Some("sev2"));
    assert_eq!(i.caused_by_deployment.as_deref(), Some("145988746"));
    let closed = with(fixture!("issues.opened"), |v| {
        v["action"] = json!("closed");
        v["issue"]["labels"] = json!([{"name": "incident"}, {"name": "caused-by:f95f852"}]);
        v["issue"]["state"] = json!("closed");
        v["issue"]["closed_at"] = json!("2019-05-15T16:00:00Z");
        v["issue"]["updated_at"] = json!("2019-05-15T16:00:00Z");
    });
    let closed = one("issues", &closed);
    let m = merge(open.clone(), closed.clone());
    assert_eq!(m, merge(closed, open));
    let Event::Incident(i) = m.event else {
        panic!()
    };
    assert_eq!(i.resolved_at, Some(t("2019-05-15T16:00:00Z")));
    assert_eq!(i.caused_by_deployment.as_deref(), Some("f95f852"));
}

#[test]
fn pings_and_unused_events_are_answered_not_mapped() {
    let m = map("ping", fixture!("ping").as_bytes(), &rules()).unwrap();
    assert!(
        matches!(&m, Mapped::Ping(s) if s.contains("109948940")),
        "{m:?}"
    );
    let m = map(
        "workflow_dispatch",
        fixture!("workflow_dispatch").as_bytes(),
        &rules(),
    )
    .unwrap();
    assert!(
        matches!(&m, Mapped::Ignored(s) if s.contains("not used")),
        "{m:?}"
    );
}

#[test]
fn bad_payloads_name_what_is_wrong() {
    let e = map("push", b"{\"ref\": \"refs/heads/main\", ", &rules()).unwrap_err();
    assert!(e.malformed);
    let e = map("push", b"ref=refs%2Fheads%2Fmain", &rules()).unwrap_err();
    assert!(e.malformed, "{e:?}");
    let no_sha = with(fixture!("deployment"), |v| {
        v["deployment"]["sha"] = json!(null)
    });
    let e = map("deployment", no_sha.as_bytes(), &rules()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("deployment.sha"));
    assert!(!e.malformed);
    let bad_time = with(fixture!("workflow_run.completed"), |v| {
        v["workflow_run"]["run_started_at"] = json!("yesterday")
    });
    let e = map("workflow_run", bad_time.as_bytes(), &rules()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("workflow_run.run_started_at"));
}

#[test]
fn job_names_get_stage_categories() {
    for (name, stage) in [
        ("CodeQL / analyze", "security_scan"),
        ("ci / linters", "lint"),
        ("ci / unit-tests", "test"),
        ("ci / e2e (chromium)", "e2e"),
        ("release / deploy-production", "deploy"),
        ("ci / build", "build"),
        ("infra / terraform-apply", "provision"),
        ("nightly / k6 load", "load_test"),
        ("ci / greet", "other"),
    ] {
        assert_eq!(stage_category(name), stage, "{name}");
    }
}

#[test]
fn severities_and_causes_are_read_from_labels_and_body() {
    assert_eq!(rules::severity("SEV-1").as_deref(), Some("sev1"));
    assert_eq!(rules::severity("severity:high").as_deref(), Some("high"));
    assert_eq!(rules::severity("P2").as_deref(), Some("p2"));
    assert_eq!(rules::severity("performance"), None);
    let r = Rules::default();
    assert_eq!(
        r.cause("x\n  Caused-By: `d-42` (rollback)\n", &[])
            .as_deref(),
        Some("d-42")
    );
    assert_eq!(
        r.cause("nothing here", &["caused-by:abc"]).as_deref(),
        Some("abc")
    );
    assert_eq!(r.cause("caused-by:", &[]), None);
}

mod detection;
mod order;
