use super::*;

fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
    q.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn field_names_come_from_the_structs() {
    assert_eq!(
        fields_of::<IncidentQuery>(),
        ["from", "to", "service", "team", "open", "page", "per_page"]
    );
    assert!(fields_of::<DoraParams>().contains(&"tz"));
    assert!(fields_of::<DoraParams>().contains(&"time_zone"));
    assert!(fields_of::<NoParams>().is_empty());
}

#[test]
fn values_parse_and_errors_name_the_field_and_the_value() {
    let q: DeploymentQuery = from_pairs(&pairs(&[
        ("environment_tier", "staging"),
        ("failed", "1"),
        ("team", ""),
        ("from", "2024-03-04T00:00:00+09:00"),
        ("per_page", "500"),
    ]))
    .unwrap();
    assert_eq!(q.environment_tier, Some(EnvironmentTier::Staging));
    assert_eq!(q.failed, Some(true));
    assert_eq!(q.team, None, "an empty value is absent");
    assert_eq!(q.from, Some(Timestamp(1_709_478_000_000)));
    assert_eq!((q.page, q.per_page), (1, 500));

    for (k, v, says) in [
        ("environment_tier", "prod", "`environment_tier`: `prod` is not an environment tier; expected production, staging, testing, development or other"),
        ("per_page", "501", "`per_page`: `501` is not a number from 1 to 500"),
        ("page", "0", "`page`: `0` is not a page number from 1"),
        ("failed", "yes", "`failed`: `yes` is not true or false"),
        ("status", "ok", "`status`: `ok` is not a deployment status; expected success, failure, in_progress or cancelled"),
    ] {
        let e = from_pairs::<DeploymentQuery>(&pairs(&[(k, v)])).unwrap_err();
        assert_eq!((e.field.as_str(), e.message.as_str()), (k, says));
    }
    let e = from_pairs::<DoraParams>(&pairs(&[("tz", "Mars/Olympus")])).unwrap_err();
    assert_eq!(e.field, "tz");
    assert!(e.message.contains("not an IANA time zone"), "{}", e.message);
    assert!(from_pairs::<IncidentQuery>(&pairs(&[("x", "1")])).is_err());
}

#[test]
fn a_written_query_reads_back_the_same() {
    let q = DeploymentQuery {
        from: Some(Timestamp(1_709_478_000_000)),
        service: Some("a b&c".into()),
        environment_tier: Some(EnvironmentTier::Testing),
        failed: Some(false),
        page: 3,
        ..DeploymentQuery::default()
    };
    let s = query_string(&q);
    assert_eq!(
        s,
        "?from=2024-03-03T15%3A00%3A00Z&service=a%20b%26c&environment_tier=testing&failed=false&page=3&per_page=50"
    );
    let back: Vec<(String, String)> = s[1..]
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            let v = v
                .replace("%20", " ")
                .replace("%26", "&")
                .replace("%3A", ":");
            (k.to_owned(), v)
        })
        .collect();
    assert_eq!(from_pairs::<DeploymentQuery>(&back).unwrap(), q);
    assert_eq!(query_string(&DoraParams::default()), "");
    let tokyo = DoraParams {
        time_zone: Some(Zone::new(chrono_tz::Asia::Tokyo)),
        interval: Some(Interval::Week),
        ..DoraParams::default()
    };
    assert_eq!(
        query_string(&tokyo),
        "?interval=week&time_zone=Asia%2FTokyo"
    );
    let back: DoraParams =
        from_pairs(&pairs(&[("interval", "week"), ("time_zone", "Asia/Tokyo")])).unwrap();
    assert_eq!(back, tokyo);
    // Anything but a query struct writes nothing rather than a wrong query.
    assert_eq!(query_string(&vec![1, 2]), "");
}

#[test]
fn the_dora_window_is_checked() {
    let now = Timestamp(100 * DAY_MS);
    let q = DoraParams::default().resolve(now).unwrap();
    assert_eq!((q.from, q.to), (Timestamp(70 * DAY_MS), now));
    let reversed = DoraParams {
        from: Some(now),
        to: Some(now),
        ..DoraParams::default()
    };
    assert_eq!(reversed.resolve(now).unwrap_err().field, "from");
    let long = DoraParams {
        from: Some(Timestamp(0)),
        to: Some(Timestamp((MAX_WINDOW_DAYS + 1) * DAY_MS)),
        ..DoraParams::default()
    };
    assert!(long
        .resolve(now)
        .unwrap_err()
        .message
        .contains("longer than"));
}
