//! Two services in one repository, each at its path prefix: a commit is a change of the
//! services whose folders it touches (or of all of them when its paths are not known).
//! Lead times are computed by hand in the comments.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should panic

mod common;

use common::*;
use nagare_core::events::{Commit, Service};
use nagare_core::model::{Org, Settings};
use nagare_core::Event;

const REPO: &str = "acme/mono";

fn svc(name: &str, prefix: Option<&str>) -> Event {
    Event::Service(Service {
        source: "api".into(),
        name: name.into(),
        repo: Some(REPO.into()),
        repo_url: None,
        teams: vec!["core".into()],
        path_prefix: prefix.map(Into::into),
        tier: None,
    })
}

fn touching(source: &str, sha: &str, parent: &[&str], hhmm: &str, paths: Option<&[&str]>) -> Event {
    Event::Commit(Commit {
        source: source.into(),
        repo: REPO.into(),
        sha: sha.into(),
        parents: parent.iter().map(|p| p.to_string()).collect(),
        author: Some("alice".into()),
        authored_at: at(hhmm),
        committed_at: None,
        message: None,
        paths: paths.map(|ps| ps.iter().map(|p| p.to_string()).collect()),
    })
}

/// m1 (00:00, both folders) ← m2 (01:00, api) ← m3 (02:00, web) ← m4 (03:00, README only)
/// ← m5 (04:00, paths unknown) ← m6 (11:00, web). Both services deploy m1 at 05:00 (their
/// baselines) and m5 at 10:00; api deploys m6 at 12:00.
fn events() -> Vec<Event> {
    vec![
        svc("api", Some("services/api")),
        svc("web", Some("./services/web/")),
        touching(
            "api",
            "m1",
            &[],
            "00:00",
            Some(&["services/api/main.rs", "services/web/index.html"]),
        ),
        touching(
            "github",
            "m2",
            &["m1"],
            "01:00",
            Some(&["services/api/a.rs"]),
        ),
        touching(
            "github",
            "m3",
            &["m2"],
            "02:00",
            Some(&["services/web/b.js"]),
        ),
        touching(
            "api",
            "m4",
            &["m3"],
            "03:00",
            Some(&["README.md", "services/apiary.txt"]),
        ),
        touching("github", "m5", &["m4"], "04:00", None),
        touching(
            "github",
            "m6",
            &["m5"],
            "11:00",
            Some(&["services/web/c.js"]),
        ),
        deploy("api-1", "api", "m1", at("05:00")),
        deploy("web-1", "web", "m1", at("05:00")),
        deploy("api-2", "api", "m5", at("10:00")),
        deploy("web-2", "web", "m5", at("10:00")),
        deploy("api-3", "api", "m6", at("12:00")),
    ]
}

fn org(events: Vec<Event>) -> Org {
    let mut o = Org::new(Settings::default());
    o.apply(events);
    o
}

fn shas(o: &Org, dep: &str) -> Vec<String> {
    let mut v: Vec<String> = o
        .deployment(dep)
        .unwrap()
        .change_list
        .iter()
        .map(|c| c.sha.clone())
        .collect();
    v.sort();
    v
}

fn of(o: &Org, service: &str) -> nagare_core::api::DoraReport {
    let mut q = day1();
    q.service = Some(service.into());
    o.dora(&q)
}

#[test]
fn a_commit_counts_for_the_services_whose_folders_it_touches() {
    let o = org(events());
    // api-2 takes m2..m5: m2 touches services/api/, m5's paths are unknown (counts); m3 is
    // web's, m4 touches neither (services/apiary.txt is not inside services/api/).
    assert_eq!(shas(&o, "api-2"), ["m2", "m5"]);
    assert_eq!(shas(&o, "web-2"), ["m3", "m5"]);
    // api-3 takes only m6, web's: no change of api, and m2 (held by api-2) is not taken again.
    assert_eq!(shas(&o, "api-3"), Vec::<String>::new());
    assert_eq!(o.deployment("api-3").unwrap().deployment.changes, 0);
    // api: 10:00 − 01:00 = 9 h, 10:00 − 04:00 = 6 h → median 7.5 h = 27,000 s.
    let api = of(&o, "api");
    assert_eq!(api.change_lead_time.changes, 2);
    assert!(close(api.change_lead_time.median, 27_000.0));
    // web: 10:00 − 02:00 = 8 h, 6 h → median 7 h = 25,200 s.
    let web = of(&o, "web");
    assert_eq!(web.change_lead_time.changes, 2);
    assert!(close(web.change_lead_time.median, 25_200.0));
}

#[test]
fn the_order_of_events_does_not_matter() {
    let mut rev = events();
    rev.reverse();
    let (a, b) = (org(events()), org(rev));
    for dep in ["api-2", "web-2", "api-3"] {
        assert_eq!(shas(&a, dep), shas(&b, dep), "{dep}");
    }
    for s in ["api", "web"] {
        assert_eq!(of(&a, s), of(&b, s), "{s}");
    }
}

#[test]
fn paths_that_arrive_later_and_a_moved_prefix_re_derive() {
    let mut o = org(events());
    // A git sync lists m5's paths (source `git` wins over the push's `github`): api only.
    o.apply(vec![touching(
        "git",
        "m5",
        &["m4"],
        "04:00",
        Some(&["services/api/b.rs"]),
    )]);
    assert_eq!(shas(&o, "api-2"), ["m2", "m5"]);
    assert_eq!(shas(&o, "web-2"), ["m3"]);
    // web: only m3, 8 h = 28,800 s.
    assert!(close(of(&o, "web").change_lead_time.median, 28_800.0));
    // api moves to the web folder: its changes are now web's (m3 and m6); 10 − 2 = 8 h,
    // 12:00 − 11:00 = 1 h.
    o.apply(vec![svc("api", Some("services/web"))]);
    assert_eq!(shas(&o, "api-2"), ["m3"]);
    assert_eq!(shas(&o, "api-3"), ["m6"]);
    let api = of(&o, "api");
    assert_eq!(api.change_lead_time.changes, 2);
    assert!(close(
        api.change_lead_time.median,
        (28_800.0 + 3_600.0) / 2.0
    ));
    // Without a prefix every commit counts: m2..m5 for api-2, m6 for api-3.
    o.apply(vec![svc("api", None)]);
    assert_eq!(shas(&o, "api-2"), ["m2", "m3", "m4", "m5"]);
    assert_eq!(shas(&o, "api-3"), ["m6"]);
}

#[test]
fn an_empty_path_list_touches_nothing() {
    // A merge that changes nothing against its first parent lists no paths.
    let mut ev = events();
    ev.push(touching("github", "m7", &["m6", "m3"], "12:30", Some(&[])));
    ev.push(deploy("web-3", "web", "m7", at("13:00")));
    let o = org(ev);
    assert_eq!(shas(&o, "web-3"), ["m6"]);
}
