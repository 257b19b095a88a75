//! Pushed counts to the numbers the API shows, each worked by hand. With objective 0.99 the
//! budget allows 1 bad event in 100, so a burn rate is the error ratio × 100.

use super::*;

/// One day of one-minute buckets up to T (the start of the minute after next, so that the
/// counts are those held in memory), objective 99 %, window 1d, the SRE workbook's alerts.
///
/// Bucket i starts i minutes before T; each holds 100 events except where said:
/// - i = 1441 (T − 1d − 1m): 1000 events, all bad. Before the window: only the 3d burn sees it.
/// - i = 1440 (T − 1d, the window's first): 50 bad. Counted: the window is [T − 1d, T).
/// - i = 1439 … 61: clean. i = 60 … 6: 15 bad each. i = 5 … 1: 30 bad each.
/// - i = 0 (starts at T): 1000 events, all bad. Not counted anywhere.
///
/// Window: 1440 buckets, total 144 000; bad 50 + 55 × 15 + 5 × 30 = 1025; good 142 975.
/// Budget: allowed 1 % × 144 000 = 1440; consumed 1025; remaining 415; consumed 1025/1440 =
/// 71.1805…%; remaining 415/1440 = 28.8194…%.
/// Burns: 5m 150/500 = 30 % → 30; 30m (25 × 15 + 150)/3000 = 17.5 % → 17.5; 1h 975/6000 →
/// 16.25; 2h 975/12 000 → 8.125; 6h 975/36 000 → 2.7083…; 1d 1025/144 000 → 0.71180…;
/// 3d (1025 + 1000)/(144 000 + 1000) → 1.39655…
/// Alerts: page 14.4× over 1h and 5m: 16.25 and 30 both above → fires. Page 6× over 6h and 30m:
/// 2.71 is not → no. Ticket 3× over 1d and 2h: 0.71 → no. Ticket 1× over 3d and 6h: 1.397 and
/// 2.71 → fires. Alert: page (it beats ticket).
/// Exhaustion: at the 1d burn, (415/1440) ÷ (1025/1440) × 86 400 s = 415/1025 × 86 400 =
/// 34 981.46 s; the 7d burn is the 3d one (nothing older): (415/1440) ÷ (2025/1450) × 86 400 =
/// 17 829.6 s (whole seconds of the rounded milliseconds: 34 981 and 17 829).
#[tokio::test]
async fn pushed_counts_give_budget_burn_rates_and_alerts_by_hand() {
    for backend in backends() {
        let (state, _dir) = slo_state(backend, local_config()).await;
        create(&state, pushed_slo("pay-avail", "payments-api", 0.99, "1d")).await;
        let t = this_minute() + 2 * MINUTE;
        let b = |i: i64| t - i * MINUTE;
        let mut lines = vec![
            sample("pay-avail", b(1441), 0.0, 1000.0),
            sample("pay-avail", b(1440), 50.0, 100.0),
            sample("pay-avail", t, 0.0, 1000.0),
        ];
        for i in 1..1440 {
            let bad = match i {
                1..=5 => 30.0,
                6..=60 => 15.0,
                _ => 0.0,
            };
            lines.push(sample("pay-avail", b(i), 100.0 - bad, 100.0));
        }
        assert_eq!(push_ok(&state, &lines).await, (1442, 0), "{backend}");

        let d = detail_at(&state, "pay-avail", t).await;
        let s = &d["slo"];
        assert_eq!(
            (s["good"].as_f64(), s["total"].as_f64()),
            (Some(142_975.0), Some(144_000.0)),
            "{backend}: {s}"
        );
        close(&s["sli_value"], 142_975.0 / 144_000.0);
        let w = &s["window"];
        assert_eq!(w["start"], rfc3339(t - DAY), "{backend}");
        assert_eq!(w["end"], rfc3339(t));
        assert_eq!(
            (w["kind"].as_str(), w["label"].as_str()),
            (Some("rolling"), Some("1d"))
        );
        assert_eq!(
            (w["span_secs"].as_i64(), w["timezone"].as_str()),
            (Some(86_400), Some("UTC"))
        );
        let bd = &s["budget"];
        close(&bd["allowed"], 1440.0);
        close(&bd["consumed"], 1025.0);
        close(&bd["remaining"], 415.0);
        close(&bd["consumed_percent"], 1025.0 / 1440.0 * 100.0);
        close(&bd["remaining_percent"], 415.0 / 1440.0 * 100.0);
        for (window, want) in [
            ("5m", 30.0),
            ("30m", 17.5),
            ("1h", 16.25),
            ("2h", 8.125),
            ("6h", 975.0 / 36_000.0 * 100.0),
            ("1d", 1025.0 / 144_000.0 * 100.0),
            ("3d", 2025.0 / 145_000.0 * 100.0),
        ] {
            close(burn(s, window), want);
        }
        assert_eq!(
            firing(s),
            [true, false, false, true],
            "{backend}: {}",
            s["alerts"]
        );
        assert_eq!(s["alert"], "page");
        assert_eq!(s["at_risk"], true);
        let page = &s["alerts"][0];
        assert_eq!(
            (
                page["factor"].as_f64(),
                page["long_secs"].as_i64(),
                page["short_secs"].as_i64()
            ),
            (Some(14.4), Some(3600), Some(300))
        );
        close(&page["long_burn"], 16.25);
        close(&page["short_burn"], 30.0);
        let ex = &s["exhaustion"];
        close(&ex["burn_1d"], 1025.0 / 1440.0);
        close(&ex["burn_7d"], 2025.0 / 1450.0);
        let secs = |v: &Value| v.as_i64().unwrap_or_else(|| panic!("{ex}"));
        assert!((secs(&ex["at_1d_burn_secs"]) - 34_981).abs() <= 1, "{ex}");
        assert!((secs(&ex["at_7d_burn_secs"]) - 17_829).abs() <= 1, "{ex}");
        assert_eq!(s["data"]["source"], "pushed");
        assert_eq!(s["data"]["from"], rfc3339(b(1441)));
        assert_eq!(s["data"]["until"], rfc3339(t + MINUTE));
        assert_eq!(s["step_secs"], 60);

        // The series: a day in ≤ 720 points is 5-minute points, one after another up to T,
        // summing to the window; the last point's burn-down is the window's 28.19 %, and a point
        // holding only the last hour's buckets (15 or 30 bad of 100) has an SLI of 70–85 %.
        assert_eq!(d["series_step_secs"], 300);
        let pts = d["series"].as_array().unwrap();
        assert!(
            (288..=289).contains(&pts.len()),
            "{backend}: {} points",
            pts.len()
        );
        let starts: Vec<i64> = pts
            .iter()
            .map(|p| ms(p["start"].as_str().unwrap()))
            .collect();
        assert!(
            starts.windows(2).all(|w| w[1] - w[0] == 5 * MINUTE),
            "{starts:?}"
        );
        assert!(starts[0] <= t - DAY && *starts.last().unwrap() + 5 * MINUTE >= t);
        let sum: f64 = pts.iter().map(|p| p["total"].as_f64().unwrap()).sum();
        assert_eq!(sum, 144_000.0);
        let last = pts.last().unwrap();
        close(&last["remaining_percent"], 415.0 / 1440.0 * 100.0);
        let sli = pts[pts.len() - 2]["sli"].as_f64().unwrap();
        assert!((0.7..=0.85).contains(&sli), "{sli}");

        // The list says the same, and so does another replica on the same database (it reads
        // the buckets this one wrote).
        let list = get_ok(&state, &format!("/api/v1/slos?at={}", rfc3339(t))).await;
        assert_eq!(list["slos"][0], *s, "{backend}");
        let replica = AppState::new(state.store.clone(), local_config())
            .await
            .unwrap();
        assert_eq!(
            detail_at(&replica, "pay-avail", t).await["slo"],
            *s,
            "{backend}: a replica"
        );
    }
}

/// A burn rate exactly at a condition's factor does not fire it (strict `>`, as Sloth writes
/// them). Numbers exact in binary: objective 87.5 % (allowance 1/8) and 6 bad of 8 events a
/// minute for the 6 hours before T, an error ratio of 3/4: every burn rate is 0.75 ÷ 0.125 = 6.
/// Page 6× over 6h and 30m: 6 is not above 6 → no. Ticket 3× (1d, 2h) and 1× (3d, 6h): 6 > 3
/// and 6 > 1 → both fire: the alert is `ticket`. Then the last bucket again with 7 bad: 30m
/// (29 × 6 + 7)/240 → 6.0333, 6h (359 × 6 + 7)/2880 → 6.0028: both above 6 → page.
#[tokio::test]
async fn a_burn_equal_to_the_factor_does_not_fire() {
    for backend in backends() {
        let (state, _dir) = slo_state(backend, local_config()).await;
        create(&state, pushed_slo("pay-edge", "payments-api", 0.875, "1d")).await;
        let t = this_minute() + 2 * MINUTE;
        let lines: Vec<String> = (1..=360)
            .map(|i| sample("pay-edge", t - i * MINUTE, 2.0, 8.0))
            .collect();
        assert_eq!(push_ok(&state, &lines).await, (360, 0));
        let s = detail_at(&state, "pay-edge", t).await["slo"].clone();
        for w in ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] {
            assert_eq!(burn(&s, w).as_f64(), Some(6.0), "{backend}: {w}");
        }
        let six = &s["alerts"][1];
        assert_eq!(
            (
                six["factor"].as_f64(),
                six["long_burn"].as_f64(),
                six["short_burn"].as_f64()
            ),
            (Some(6.0), Some(6.0), Some(6.0))
        );
        assert_eq!(
            firing(&s),
            [false, false, true, true],
            "{backend}: {}",
            s["alerts"]
        );
        assert_eq!(s["alert"], "ticket");

        let again = [sample("pay-edge", t - MINUTE, 1.0, 8.0)];
        assert_eq!(
            push_ok(&state, &again).await,
            (0, 1),
            "{backend}: a bucket sent again is an update"
        );
        let s = detail_at(&state, "pay-edge", t).await["slo"].clone();
        close(burn(&s, "30m"), 181.0 / 240.0 * 8.0);
        close(burn(&s, "6h"), 2161.0 / 2880.0 * 8.0);
        assert_eq!(
            firing(&s),
            [false, true, true, true],
            "{backend}: {}",
            s["alerts"]
        );
        assert_eq!(s["alert"], "page");
        // Replaced, not added: 360 buckets of 8 events.
        assert_eq!(s["total"].as_f64(), Some(2880.0));
    }
}

/// A calendar month, hourly buckets (`slo.step_secs` = 3600), at 2025-03-03T12:00Z (an
/// instant in the past, so read from the database). Buckets:
/// - every hour of Feb 27 and 28: 10 bad of 100. Before March: not counted in UTC.
/// - 2025-03-01T00:00Z (the month's first): 40 bad of 100. Counted.
/// - 03-01T01:00 … 03-03T11:00 (59 buckets): clean. 03-03T12:00 (= at): all bad, not counted.
///
/// Window [03-01T00:00, at): 60 buckets, total 6000, bad 40. Budget: allowed 60, consumed 40,
/// remaining 20, 66.67 % / 33.33 %. The budget is spread over all of March: 31 × 86 400 =
/// 2 678 400 s. 1d burn: the 24 clean buckets before at → 0 (not being spent: no forecast).
/// 3d [02-28T12:00, at): 12 × 10 + 40 = 160 bad of 7200 → 2.2222. 7d: 48 × 10 + 40 = 520 bad
/// of 10 800 → 4.8148; exhaustion (1/3) ÷ 4.8148 × 2 678 400 s = 185 427.7 s.
///
/// The same data read in Asia/Tokyo (UTC+9): March starts at 02-28T15:00Z, so 9 of February's
/// buckets join: total 6900, bad 130, allowed 69: remaining 1 − (130/6900)/1 % = −88.4 %.
#[tokio::test]
async fn a_calendar_month_counts_from_its_first_day() {
    for backend in backends() {
        let mut config = local_config();
        config.slo.step_secs = 3600;
        // Fixed dates in the past: kept however old (samples older than keep_days are refused).
        config.slo.keep_days = 100_000;
        let (state, _dir) = slo_state(backend, config.clone()).await;
        create(
            &state,
            pushed_slo("pay-month", "payments-api", 0.99, "month"),
        )
        .await;
        let at = ms("2025-03-03T12:00:00Z");
        let first = ms("2025-03-01T00:00:00Z");
        let mut lines = Vec::new();
        let mut h = ms("2025-02-27T00:00:00Z");
        while h <= at {
            let good = match h {
                _ if h < first => 90.0,
                _ if h == first => 60.0,
                _ if h == at => 0.0,
                _ => 100.0,
            };
            lines.push(sample("pay-month", h, good, 100.0));
            h += HOUR;
        }
        assert_eq!(lines.len(), 48 + 60 + 1);
        push_ok(&state, &lines).await;

        let s = detail_at(&state, "pay-month", at).await["slo"].clone();
        assert_eq!(
            (s["good"].as_f64(), s["total"].as_f64()),
            (Some(5960.0), Some(6000.0)),
            "{backend}: {s}"
        );
        let w = &s["window"];
        assert_eq!(
            (w["kind"].as_str(), w["label"].as_str()),
            (Some("calendar"), Some("month"))
        );
        assert_eq!(
            (w["start"].as_str(), w["end"].as_str()),
            (Some("2025-03-01T00:00:00Z"), Some("2025-03-03T12:00:00Z"))
        );
        assert_eq!(w["span_secs"], 2_678_400);
        close(&s["budget"]["allowed"], 60.0);
        close(&s["budget"]["remaining"], 20.0);
        close(&s["budget"]["consumed_percent"], 40.0 / 60.0 * 100.0);
        close(&s["budget"]["remaining_percent"], 20.0 / 60.0 * 100.0);
        assert_eq!(burn(&s, "1d").as_f64(), Some(0.0));
        close(burn(&s, "3d"), 160.0 / 7200.0 * 100.0);
        close(&s["exhaustion"]["burn_7d"], 520.0 / 10_800.0 * 100.0);
        assert_eq!(
            s["exhaustion"]["at_1d_burn_secs"],
            Value::Null,
            "{}",
            s["exhaustion"]
        );
        // A calendar budget grows with the period's events (docs/slo.md): at the 7d burn
        // b = 520/10 800/1 % and its rate R = 10 800 events a week, bad events grow by
        // R × 1 % × b and the allowance by R × 1 %, so the 20 left last
        // 20 ÷ (R × 1 % × (b − 1)) = 29 359 s.
        let b7 = 520.0 / 10_800.0 / 0.01;
        let want = 20.0 / (10_800.0 / 604_800.0 * 0.01 * (b7 - 1.0));
        let at_7d = s["exhaustion"]["at_7d_burn_secs"].as_i64().unwrap();
        assert!((at_7d as f64 - want).abs() <= 1.0, "{at_7d} vs {want}");
        assert_eq!(s["step_secs"], 3600);

        config.slo.timezone = "Asia/Tokyo".into();
        let tokyo = AppState::new(state.store.clone(), config).await.unwrap();
        let s = detail_at(&tokyo, "pay-month", at).await["slo"].clone();
        assert_eq!(s["window"]["start"], "2025-02-28T15:00:00Z", "{backend}");
        assert_eq!(s["window"]["timezone"], "Asia/Tokyo");
        assert_eq!(
            (s["good"].as_f64(), s["total"].as_f64()),
            (Some(6770.0), Some(6900.0))
        );
        close(
            &s["budget"]["remaining_percent"],
            (1.0 - 130.0 / 6900.0 / 0.01) * 100.0,
        );
    }
}

/// An instant 55 days ago, window 1d: older than anything a process holds in memory (a window
/// and a week back from now), so the counts are read from the database, by a process that
/// started after they were pushed. Buckets (A = the instant):
/// - A − 5d: 1000 bad of 1000 (60 days ago). Only the 7d burn sees it.
/// - A − 1d − 1m: 100 bad of 100. Before the window; in the 3d and 7d burns.
/// - A − 1d: 20 bad of 100 (counted). A − 3h: 10 bad of 10 000. A − 10m: 5 bad of 100.
///   A − 1m: clean, 100. A: 100 bad of 100 (not counted).
///
/// Window: total 100 + 10 000 + 100 + 100 = 10 300, bad 35. Budget: allowed 103, consumed 35,
/// remaining 68 (66.02 %). Burns: 5m (only A − 1m) 0; 30m, 1h, 2h 5/200 → 2.5; 6h 15/10 200 →
/// 0.14706; 1d 35/10 300 → 0.33981; 3d 135/10 400 → 1.29808; 7d 1135/11 400 → 9.95614. No
/// condition fires (ticket 1× needs 6h above 1 too). Exhaustion at the 1d burn: 68/35 × 86 400 s
/// = 167 862.9 s; at the 7d: (68/103) ÷ 9.95614 × 86 400 = 5729.2 s.
#[tokio::test]
async fn an_instant_older_than_what_is_held_is_read_from_the_database() {
    for backend in backends() {
        let (state, _dir) = slo_state(backend, local_config()).await;
        create(&state, pushed_slo("pay-old", "payments-api", 0.99, "1d")).await;
        let a = this_minute() - 55 * DAY;
        let lines = [
            sample("pay-old", a - 5 * DAY, 0.0, 1000.0),
            sample("pay-old", a - DAY - MINUTE, 0.0, 100.0),
            sample("pay-old", a - DAY, 80.0, 100.0),
            sample("pay-old", a - 3 * HOUR, 9990.0, 10_000.0),
            sample("pay-old", a - 10 * MINUTE, 95.0, 100.0),
            sample("pay-old", a - MINUTE, 100.0, 100.0),
            sample("pay-old", a, 0.0, 100.0),
        ];
        push_ok(&state, &lines).await;
        // A process started afterwards holds none of it.
        let later = AppState::new(state.store.clone(), local_config())
            .await
            .unwrap();
        for st in [&later, &state] {
            let s = detail_at(st, "pay-old", a).await["slo"].clone();
            assert_eq!(
                (s["good"].as_f64(), s["total"].as_f64()),
                (Some(10_265.0), Some(10_300.0)),
                "{backend}: {s}"
            );
            assert_eq!(s["window"]["start"], rfc3339(a - DAY));
            close(&s["budget"]["allowed"], 103.0);
            close(&s["budget"]["remaining"], 68.0);
            close(&s["budget"]["remaining_percent"], 68.0 / 103.0 * 100.0);
            assert_eq!(burn(&s, "5m").as_f64(), Some(0.0));
            for w in ["30m", "1h", "2h"] {
                close(burn(&s, w), 2.5);
            }
            close(burn(&s, "6h"), 15.0 / 10_200.0 * 100.0);
            close(burn(&s, "1d"), 35.0 / 10_300.0 * 100.0);
            close(burn(&s, "3d"), 135.0 / 10_400.0 * 100.0);
            close(&s["exhaustion"]["burn_7d"], 1135.0 / 11_400.0 * 100.0);
            assert_eq!(firing(&s), [false; 4], "{}", s["alerts"]);
            assert_eq!(
                (s["alert"].as_str(), s["at_risk"].as_bool()),
                (Some("ok"), Some(false))
            );
            let ex = &s["exhaustion"];
            assert!(
                (ex["at_1d_burn_secs"].as_i64().unwrap() - 167_862).abs() <= 1,
                "{ex}"
            );
            assert!(
                (ex["at_7d_burn_secs"].as_i64().unwrap() - 5729).abs() <= 1,
                "{ex}"
            );
            let list = get_ok(
                st,
                &format!("/api/v1/slos?service=payments-api&at={}", rfc3339(a)),
            )
            .await;
            assert_eq!(list["slos"][0], s);
        }
        // Now, 55 days on, the window holds nothing: no budget, no burn, never a made-up 100 %.
        let s = get_ok(&later, "/api/v1/slos/pay-old").await["slo"].clone();
        assert_eq!(s["total"].as_f64(), Some(0.0), "{backend}");
        assert_eq!(
            (s["budget"].clone(), s["sli_value"].clone()),
            (Value::Null, Value::Null)
        );
        assert_eq!(burn(&s, "1d"), &Value::Null);
    }
}
