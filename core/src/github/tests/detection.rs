//! The rules that are not about one event type: the keys a replay rebuilds, configured stage
//! rules, and deployments detected from workflow runs and jobs. Expected values are read off the
//! fixture files by hand.

use super::*;

#[test]
fn keys_name_what_a_delivery_touches_whatever_the_rules_say() {
    let key = |kind: &'static str, id: &str| crate::events::EventKey {
        kind,
        source: SOURCE.into(),
        id: id.into(),
    };
    let none = Rules {
        repos: Vec::new(),
        incident_labels: vec!["outage".into()],
        ..Rules::default()
    };
    // Unmapped under `none`, yet the deployment (id 145988746 in the fixture) is named.
    let status = fixture!("deployment_status");
    assert!(matches!(
        map("deployment_status", status.as_bytes(), &none),
        Ok(Mapped::Unmapped(_))
    ));
    for rules in [&none, &rules()] {
        assert_eq!(
            keys("deployment_status", status.as_bytes(), rules),
            vec![key("deployment", "145988746")]
        );
    }
    // Issue #1 (labelled `bug`) is no incident under either rules, yet named.
    let issue = fixture!("issues.opened");
    assert_eq!(
        keys("issues", issue.as_bytes(), &none),
        vec![key("incident", "Codertocat/Hello-World#1")]
    );
    // Others are the keys of what they map to (a run's id is `provider:run-attempt`), and a
    // run names the deployment a rule may detect from it.
    let run = fixture!("workflow_run.completed");
    assert_eq!(
        keys("workflow_run", run.as_bytes(), &none),
        vec![
            key("deployment", "run:289782451-1"),
            key("pipeline_run", "github:289782451-1")
        ]
    );
    assert!(keys("ping", fixture!("ping").as_bytes(), &none).is_empty());
    assert!(keys("deployment", b"{not json", &none).is_empty());
}

fn pattern(s: &str) -> Option<Pattern> {
    Some(Pattern::new(s).unwrap())
}

#[test]
fn configured_stage_rules_come_first_in_order_then_the_built_in_words() {
    let mut rules = rules();
    rules.stages = vec![
        StageRule {
            job: pattern("(?i)^linters$"),
            workflow: pattern("^Nightly"),
            stage: "e2e",
        },
        StageRule {
            job: pattern("(?i)^lint"),
            workflow: None,
            stage: "security_scan",
        },
        StageRule {
            job: None,
            workflow: pattern("^CodeQL$"),
            stage: "test",
        },
    ];
    // Both patterns of the first rule must match: the workflow does not, the second matches.
    assert_eq!(rules.stage_of("CodeQL", "linters"), "security_scan");
    assert_eq!(rules.stage_of("Nightly build", "Linters"), "e2e");
    assert_eq!(rules.stage_of("CodeQL", "compile"), "test");
    // No rule matches: the built-in words (`build` in the job's name).
    assert_eq!(rules.stage_of("CI", "build image"), "build");
    // Through the mapping: the fixture's job `linters` of workflow `CodeQL`.
    let run = one(
        "workflow_job",
        fixture!("workflow_job.completed.success.with-organization"),
    );
    let Versioned { event, .. } = run;
    let Event::PipelineRun(r) = event else {
        panic!("a run")
    };
    assert_eq!(r.jobs[0].category.as_deref(), Some("lint"));
    let Mapped::Events(v, _) = map(
        "workflow_job",
        fixture!("workflow_job.completed.success.with-organization").as_bytes(),
        &rules,
    )
    .unwrap() else {
        panic!("events")
    };
    let Event::PipelineRun(r) = &v[0].event else {
        panic!("a run")
    };
    assert_eq!(r.jobs[0].category.as_deref(), Some("security_scan"));
}

fn detecting(rule: DeployRule) -> Rules {
    Rules {
        repos: vec![
            RepoRule {
                repo: "octo-org/*".into(),
                service: "octo".into(),
            },
            RepoRule {
                repo: "Codertocat/Hello-World".into(),
                service: "hello".into(),
            },
        ],
        deployments: vec![rule],
        ..Rules::default()
    }
}

fn deploy_rule() -> DeployRule {
    DeployRule {
        repo: None,
        workflow: pattern("^test$"),
        job: None,
        branch: None,
        environment: "production".into(),
        service: None,
    }
}

#[test]
fn a_successful_run_on_the_default_branch_matching_a_rule_is_a_deployment() {
    // The fixture: octo-org/octo-repo, workflow `test`, `master` (the default branch),
    // completed with success at 2020-10-05T16:33:49Z, head 3484a3f…, attempt 1.
    let body = fixture!("workflow_run.completed");
    let Mapped::Events(v, notes) =
        map("workflow_run", body.as_bytes(), &detecting(deploy_rule())).unwrap()
    else {
        panic!("events")
    };
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(v.len(), 2);
    let Event::Deployment(d) = &v[1].event else {
        panic!("a deployment: {:?}", v[1])
    };
    assert_eq!(d.id, "run:289782451-1");
    assert_eq!(d.service, "octo");
    assert_eq!(d.environment, "production");
    assert_eq!(d.status, DeploymentStatus::Success);
    assert_eq!(d.sha, "3484a3fb816e0859fd6e1cea078d76385ff50625");
    assert_eq!(d.started_at, Some(t("2020-10-05T16:33:49Z")));
    assert_eq!(d.finished_at, Some(t("2020-10-05T16:33:49Z")));
    assert_eq!(v[1].version, t("2020-10-05T16:33:49Z").millis());
    assert!(keys("workflow_run", body.as_bytes(), &Rules::default()).contains(&v[1].event.key()));

    let none = |rules: &Rules, body: &str| match map("workflow_run", body.as_bytes(), rules) {
        Ok(Mapped::Events(v, notes)) => (v.len(), notes),
        other => panic!("{other:?}"),
    };
    // Another branch, another workflow name, a failure, an uncovered repository: none.
    let feature = with(body, |v| {
        v["workflow_run"]["head_branch"] = json!("feature")
    });
    assert_eq!(none(&detecting(deploy_rule()), &feature).0, 1);
    let named = DeployRule {
        branch: Some("feature".into()),
        ..deploy_rule()
    };
    assert_eq!(
        none(&detecting(named), &feature).0,
        2,
        "the rule's own branch"
    );
    let other = DeployRule {
        workflow: pattern("^deploy"),
        ..deploy_rule()
    };
    assert_eq!(none(&detecting(other), body).0, 1);
    let failed = with(body, |v| v["workflow_run"]["conclusion"] = json!("failure"));
    assert_eq!(none(&detecting(deploy_rule()), &failed).0, 1);
    let elsewhere = DeployRule {
        repo: Some("acme/*".into()),
        ..deploy_rule()
    };
    assert_eq!(none(&detecting(elsewhere), body).0, 1);
    // A job rule does not make the run a deployment.
    let job_rule = DeployRule {
        job: pattern("."),
        ..deploy_rule()
    };
    assert_eq!(none(&detecting(job_rule), body).0, 1);
    // Covered, but no service: the run is stored and a note says why no deployment is.
    let mut unmapped = detecting(deploy_rule());
    unmapped.repos.clear();
    let (n, notes) = none(&unmapped, body);
    assert_eq!(n, 1);
    assert!(notes[0].contains("mapped to no service"), "{notes:?}");
}

#[test]
fn a_successful_job_matching_a_rule_is_a_deployment() {
    // The fixture: job 289782451 `linters` of `CodeQL` on `main` (the default is `master`),
    // Codertocat/Hello-World, success, 10:34:58 to 10:38:16 on 2021-08-05.
    let body = fixture!("workflow_job.completed.success.with-organization");
    let rule = DeployRule {
        repo: Some("Codertocat/Hello-World".into()),
        workflow: pattern("^CodeQL$"),
        job: pattern("^linters$"),
        branch: Some("main".into()),
        environment: "staging".into(),
        service: None,
    };
    let Mapped::Events(v, _) =
        map("workflow_job", body.as_bytes(), &detecting(rule.clone())).unwrap()
    else {
        panic!("events")
    };
    let Event::Deployment(d) = &v[1].event else {
        panic!("a deployment: {v:?}")
    };
    assert_eq!(d.id, "job:289782451");
    assert_eq!(d.service, "hello");
    assert_eq!(d.environment, "staging");
    assert_eq!(d.started_at, Some(t("2021-08-05T10:34:58Z")));
    assert_eq!(d.finished_at, Some(t("2021-08-05T10:38:16Z")));
    // A monorepo's rule names the service the job deploys, not the repository's first.
    let named = DeployRule {
        service: Some("hello-web".into()),
        ..rule.clone()
    };
    let Mapped::Events(v, _) = map("workflow_job", body.as_bytes(), &detecting(named)).unwrap()
    else {
        panic!("events")
    };
    let Event::Deployment(d) = &v[1].event else {
        panic!("a deployment: {v:?}")
    };
    assert_eq!(d.service, "hello-web");
    // On the default branch only (`master`), it is not one.
    let default_only = DeployRule {
        branch: None,
        ..rule
    };
    let Mapped::Events(v, _) =
        map("workflow_job", body.as_bytes(), &detecting(default_only)).unwrap()
    else {
        panic!("events")
    };
    assert_eq!(v.len(), 1);
}
