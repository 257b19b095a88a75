//! Hostile bodies: every one answered with a 4xx naming what is wrong, nothing of it stored, and
//! the payload kept as received (as bytes, its head and digest when large).

use crate::auth::request;
use crate::common::{app_state, backends, fresh_store, post, Reply};
use axum::http::StatusCode;
use nagare_server::config::Config;
use nagare_server::AppState;
use std::io::Write;

const DEPLOY: &str = r#"{"kind":"deployment","id":"d-1","service":"api","environment":"production","status":"success","finished_at":"2024-03-02T10:00:00Z","sha":"c1"}"#;

/// `(what, content type, body)` of the corpus.
fn corpus() -> Vec<(String, &'static str, Vec<u8>)> {
    let nd = "application/x-ndjson";
    let js = "application/json";
    let mut c: Vec<(String, &'static str, Vec<u8>)> = vec![
        ("truncated array".into(), js, br#"[{"kind":"team","name":"t""#.to_vec()),
        ("truncated line".into(), nd, DEPLOY.as_bytes()[..DEPLOY.len() - 7].to_vec()),
        ("empty".into(), js, Vec::new()),
        ("blank lines".into(), nd, b"\n \n\t\n".to_vec()),
        ("empty array".into(), js, b"[]".to_vec()),
        ("null".into(), js, b"null".to_vec()),
        ("a string".into(), js, br#""events""#.to_vec()),
        ("a number".into(), js, b"123".to_vec()),
        ("deep array".into(), js, format!("{}{}", "[".repeat(20_000), "]".repeat(20_000)).into_bytes()),
        (
            "deep value".into(),
            nd,
            format!(r#"{{"kind":"team","name":"t","x":{}1{}}}"#, "[".repeat(5_000), "]".repeat(5_000)).into_bytes(),
        ),
        ("huge float".into(), nd, DEPLOY.replace(r#""sha":"c1""#, r#""sha":"c1","n":1e999999"#).into_bytes()),
        (
            "huge integer".into(),
            nd,
            br#"{"kind":"pull_request","repo":"a/b","id":123456789012345678901234567890,"opened_at":"2024-01-01T00:00:00Z"}"#.to_vec(),
        ),
        (
            "huge attempt".into(),
            nd,
            br#"{"kind":"pipeline_run","provider":"g","id":"1","repo":"a/b","workflow":"ci","status":"done","attempt":99999999999}"#.to_vec(),
        ),
        ("raw NUL".into(), nd, DEPLOY.replace(r#""sha":"c1""#, "\"sha\":\"c\u{0}1\"").into_bytes()),
        ("NUL outside strings".into(), js, b"[\x00]".to_vec()),
        ("escaped NUL in a key field".into(), nd, DEPLOY.replace(r#""id":"d-1""#, r#""id":"d\u0000-1""#).into_bytes()),
        ("escaped NUL in a name".into(), nd, br#"{"kind":"team","name":"a\u0000b"}"#.to_vec()),
        ("invalid UTF-8".into(), nd, [&br#"{"kind":"team","name":"a"#[..], b"\xff\xfe", b"\"}"].concat()),
        ("duplicate key".into(), nd, DEPLOY.replace(r#""service":"api""#, r#""service":"api","service":"ledger""#).into_bytes()),
        ("duplicate kind".into(), js, br#"[{"kind":"team","kind":"commit","name":"t"}]"#.to_vec()),
        // The probe's panic: a multi-byte character near byte 19 of a time.
        ("multi-byte time".into(), nd, DEPLOY.replace("2024-03-02T10:00:00Z", "2024-03-02T10:00:0é").into_bytes()),
        ("multi-byte time 2".into(), nd, DEPLOY.replace("2024-03-02T10:00:00Z", "2024-03-02T10:00:00日本").into_bytes()),
        ("zoneless time".into(), nd, DEPLOY.replace("10:00:00Z", "10:00:00").into_bytes()),
        (
            "bad middle line".into(),
            nd,
            format!("{DEPLOY}\n{{\"kind\":\"team\"\n{}", DEPLOY.replace("d-1", "d-2")).into_bytes(),
        ),
        (
            "bad line 5000".into(),
            nd,
            {
                let mut lines: Vec<String> = (0..6000).map(|i| format!(r#"{{"kind":"team","name":"t{i}"}}"#)).collect();
                lines[4999] = r#"{"kind":"team","name":42}"#.into();
                lines.join("\n").into_bytes()
            },
        ),
    ];
    // Flipped structural bytes of a valid event.
    for (i, (from, to)) in [
        (b'"', 0x01u8),
        (b':', b';'),
        (b'}', b']'),
        (b',', b' '),
        (b'{', b'('),
    ]
    .into_iter()
    .enumerate()
    {
        let mut b = DEPLOY.as_bytes().to_vec();
        if let Some(at) = b.iter().position(|x| *x == from) {
            b[at] = to;
        }
        c.push((format!("flipped byte {i}"), nd, b));
    }
    c
}

async fn deliveries(state: &AppState) -> Vec<nagare_server::store::DeliveryRow> {
    state.store.recent_deliveries(1000).await.unwrap()
}

#[tokio::test]
async fn hostile_bodies_get_a_precise_4xx_and_nothing_is_stored() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let state = app_state(store).await;
        let corpus = corpus();
        for (what, ct, body) in &corpus {
            let r = post(&state, "/api/v1/events", ct, body.clone()).await;
            assert!(
                r.status.is_client_error(),
                "{backend}: {what} answered {}: {}",
                r.status,
                r.json
            );
            let error = r.json["error"]
                .as_str()
                .unwrap_or_else(|| panic!("{backend}: {what}: {}", r.json));
            assert!(
                !error.is_empty() && !error.contains('\u{0}'),
                "{backend}: {what}: {error}"
            );
        }
        assert_eq!(state.store.event_count().await.unwrap(), 0, "{backend}");
        // Each payload is kept as it came, bytes and all (the NUL ones too).
        let kept = deliveries(&state).await;
        assert_eq!(kept.len(), corpus.len(), "{backend}");
        assert!(kept.iter().all(|d| d.verdict == "rejected"), "{backend}");
        for ((what, _, body), row) in corpus.iter().rev().zip(&kept) {
            let kept = row.payload.as_deref().unwrap_or_default();
            assert_eq!(row.size_bytes, body.len() as i64, "{backend}: {what}");
            if row.truncated {
                // Over the cap: its head, and the digest of the whole.
                assert!(
                    kept.len() == 64 * 1024 && body.starts_with(kept),
                    "{backend}: {what}"
                );
                let digest = nagare_server::auth::hex_sha256(body);
                assert_eq!(
                    row.payload_sha256.as_deref(),
                    Some(digest.as_str()),
                    "{backend}: {what}"
                );
            } else {
                assert!(
                    kept == body.as_slice(),
                    "{backend}: {what}: the payload kept differs"
                );
            }
        }
        // The errors that matter name their place.
        let named = |what: &str| {
            let (_, ct, body) = corpus.iter().find(|(w, _, _)| w == what).unwrap();
            (ct, body.clone())
        };
        for (what, line, field) in [
            ("bad middle line", Some(2), None),
            ("bad line 5000", Some(5000), Some("name")),
            ("escaped NUL in a key field", Some(1), Some("id")),
            ("multi-byte time", Some(1), Some("finished_at")),
        ] {
            let (ct, body) = named(what);
            let r = post(&state, "/api/v1/events", ct, body).await;
            assert_eq!(
                r.json["line"].as_u64(),
                line,
                "{backend}: {what}: {}",
                r.json
            );
            assert_eq!(
                r.json["field"].as_str(),
                field,
                "{backend}: {what}: {}",
                r.json
            );
        }
        let (ct, body) = named("escaped NUL in a key field");
        assert_eq!(
            post(&state, "/api/v1/events", ct, body).await.status,
            StatusCode::BAD_REQUEST,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_without_reading_it_all() {
    let (store, _dir) = fresh_store("sqlite").await;
    let state = app_state(store).await;
    // 50 MB, announced and not.
    let big = vec![b' '; 50 * 1024 * 1024];
    let r = post(
        &state,
        "/api/v1/events",
        "application/x-ndjson",
        big.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.json);
    let stream = futures_body(big);
    let r = crate::common::call(
        &state,
        axum::http::Request::post("/api/v1/events")
            .header("content-type", "application/x-ndjson")
            .body(stream)
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(state.store.event_count().await.unwrap(), 0);
}

/// A body with no length announced, in 1 MB chunks.
fn futures_body(bytes: Vec<u8>) -> axum::body::Body {
    let chunks: Vec<Result<axum::body::Bytes, std::io::Error>> = bytes
        .chunks(1 << 20)
        .map(|c| Ok(axum::body::Bytes::copy_from_slice(c)))
        .collect();
    axum::body::Body::from_stream(futures_util::stream::iter(chunks))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

async fn post_encoded(state: &AppState, encoding: &str, body: Vec<u8>) -> Reply {
    let req = axum::http::Request::post("/api/v1/events")
        .header("content-type", "application/x-ndjson")
        .header("content-encoding", encoding)
        .body(axum::body::Body::from(body))
        .unwrap();
    crate::common::call(state, req).await
}

#[tokio::test]
async fn gzip_bodies_are_decoded_and_other_encodings_refused() {
    let (store, _dir) = fresh_store("sqlite").await;
    let state = app_state(store).await;
    let r = post_encoded(&state, "gzip", gzip(DEPLOY.as_bytes())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.json["accepted"], 1);
    // Kept decoded: the events, not the compressed bytes.
    assert_eq!(
        deliveries(&state).await[0].payload.as_deref(),
        Some(DEPLOY.as_bytes())
    );
    for enc in ["br", "deflate", "zstd", "gzip, gzip"] {
        let r = post_encoded(&state, enc, DEPLOY.as_bytes().to_vec()).await;
        assert_eq!(
            r.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{enc}: {}",
            r.json
        );
        assert!(
            r.json["error"].as_str().unwrap().contains("gzip"),
            "{}",
            r.json
        );
    }
    let r = post_encoded(&state, "gzip", b"not gzip at all".to_vec()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
    // A bomb: 30 MB of zeros in a few kilobytes stops at the 10 MB limit.
    let bomb = gzip(&vec![b'\n'; 30 * 1024 * 1024]);
    assert!(bomb.len() < 100_000);
    let r = post_encoded(&state, "gzip", bomb).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.json);
    assert_eq!(state.store.event_count().await.unwrap(), 1);
}

#[tokio::test]
async fn api_replies_are_never_cached() {
    let (store, _dir) = fresh_store("sqlite").await;
    let state = app_state(store).await;
    for uri in [
        "/api/v1/services",
        "/api/v1/session",
        "/api/v1/nothing",
        "/api/v1/metrics/dora?team=a&team=b",
    ] {
        let r = request(&state, "GET", uri, &[], "").await;
        assert_eq!(r.headers["cache-control"], "no-store", "{uri}");
    }
}

#[tokio::test]
async fn large_rejected_payloads_keep_their_head_and_digest_and_retention_bounds_the_rest() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let mut config = Config::default();
        config.server.dist_dir = "/nonexistent-dist".into();
        config.retention.rejected_payload_kb = 1;
        config.retention.raw_deliveries_days = 30;
        let state = AppState::new(store, config).await.unwrap();
        // 5 KB ending in a bad event: 1 KB kept, and the SHA-256 of all 5.
        let mut body = format!("{DEPLOY}\n").repeat(30).into_bytes();
        body.extend_from_slice(b"{\"kind\":\"nonsense\"}");
        let r = post(
            &state,
            "/api/v1/events",
            "application/x-ndjson",
            body.clone(),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend}: {}",
            r.json
        );
        let row = &deliveries(&state).await[0];
        assert!(row.truncated, "{backend}");
        assert_eq!(row.payload.as_deref(), Some(&body[..1024]), "{backend}");
        assert_eq!(row.size_bytes, body.len() as i64);
        assert_eq!(
            row.payload_sha256.as_deref(),
            Some(nagare_server::auth::hex_sha256(&body).as_str()),
            "{backend}"
        );
        // Accepted payloads are kept whole.
        let ok = post(
            &state,
            "/api/v1/events",
            "application/x-ndjson",
            body[..body.len() - 20].to_vec(),
        )
        .await;
        assert_eq!(ok.status, StatusCode::OK, "{backend}: {}", ok.json);
        assert!(!deliveries(&state).await[0].truncated);

        // By age: make the rejected one 31 days old; the retention job removes it, once.
        let old = nagare_server::store::now_millis() - 31 * 86_400_000;
        let id = deliveries(&state).await[1].id;
        match &state.store {
            nagare_server::store::Store::Sqlite(p) => {
                sqlx::query("UPDATE raw_deliveries SET received_at = $1 WHERE id = $2")
                    .bind(old)
                    .bind(id)
                    .execute(p)
                    .await
                    .map(|_| ())
            }
            nagare_server::store::Store::Postgres(p) => {
                sqlx::query("UPDATE raw_deliveries SET received_at = $1 WHERE id = $2")
                    .bind(old)
                    .bind(id)
                    .execute(p)
                    .await
                    .map(|_| ())
            }
        }
        .unwrap();
        let retention = nagare_server::jobs::Retention;
        nagare_server::jobs::turn_once(&retention, &state, "replica-a")
            .await
            .unwrap();
        let left = deliveries(&state).await;
        assert_eq!(left.len(), 1, "{backend}");
        assert_eq!(left[0].verdict, "accepted");
        let (at, result) = state
            .store
            .last_job_run("raw_delivery_retention")
            .await
            .unwrap()
            .unwrap();
        assert!(result.contains("deleted 1 by age"), "{backend}: {result}");
        // Not due again for an hour, on this replica; and another does not hold the job.
        for replica in ["replica-a", "replica-b"] {
            nagare_server::jobs::turn_once(&retention, &state, replica)
                .await
                .unwrap();
        }
        assert_eq!(
            state
                .store
                .last_job_run("raw_delivery_retention")
                .await
                .unwrap()
                .unwrap()
                .0,
            at
        );
        // A lease held by one replica keeps the other out until it ends.
        let now = nagare_server::store::now_millis();
        assert!(state
            .store
            .take_lease("x", "a", now, now + 60_000)
            .await
            .unwrap());
        assert!(!state
            .store
            .take_lease("x", "b", now, now + 60_000)
            .await
            .unwrap());
        assert!(state
            .store
            .take_lease("x", "b", now + 60_001, now + 120_000)
            .await
            .unwrap());

        // By size: the newest kept within the bound, oldest deleted first.
        for i in 0..5 {
            let batch = format!("{DEPLOY}\n")
                .repeat(10)
                .replace("d-1", &format!("s-{i}"));
            assert_eq!(
                post(&state, "/api/v1/events", "application/x-ndjson", batch)
                    .await
                    .status,
                StatusCode::OK
            );
        }
        let rows = deliveries(&state).await;
        let each = rows[0].payload.as_ref().unwrap().len() as i64;
        let (_, by_size) = state
            .store
            .prune_deliveries(None, Some(2 * each + each / 2))
            .await
            .unwrap();
        assert_eq!(by_size, rows.len() as u64 - 2, "{backend}");
        let left = deliveries(&state).await;
        assert_eq!(
            left.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![rows[0].id, rows[1].id]
        );
        assert!(state.store.deliveries_size().await.unwrap() <= 2 * each + each / 2);
    }
}

#[tokio::test]
async fn a_busy_ingest_line_sheds_with_503_and_retry_after() {
    let (store, _dir) = fresh_store("sqlite").await;
    let mut config = Config::default();
    config.server.dist_dir = "/nonexistent-dist".into();
    config.server.ingest_buffer_mb = 1;
    config.server.queue_wait_ms = 20;
    let state = AppState::new(store, config).await.unwrap();
    let body: String = (0..20_000)
        .map(|i| format!("{}\n", DEPLOY.replace("d-1", &format!("b-{i}"))))
        .collect();
    let posts = (0..24).map(|_| {
        post(
            &state,
            "/api/v1/events",
            "application/x-ndjson",
            body.clone(),
        )
    });
    let replies = futures_util::future::join_all(posts).await;
    let shed: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    let ok = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(shed.len() + ok, replies.len(), "only 200 or 503");
    assert!(
        ok >= 1 && !shed.is_empty(),
        "{ok} stored, {} shed",
        shed.len()
    );
    for r in shed {
        assert_eq!(r.headers["retry-after"], "1");
        assert!(
            r.json["error"].as_str().unwrap().contains("busy"),
            "{}",
            r.json
        );
    }
}

#[tokio::test]
async fn batches_arriving_together_commit_together_each_with_its_own_outcome() {
    for backend in backends() {
        let (store, _dir) = fresh_store(backend).await;
        let writer = nagare_server::store::Writer::start(store.clone());
        let raw = |i: usize| nagare_server::store::RawDelivery {
            source: format!("w{i}"),
            event: None,
            delivery_id: None,
            content_type: None,
            size_bytes: 1,
            payload: Some(axum::body::Bytes::from(format!("batch {i}"))),
        };
        let batch = |i: usize| {
            let lines: Vec<String> = (0..20)
                .map(|k| DEPLOY.replace("\"d-1\"", &format!("\"g-{i}-{k}\"")))
                .collect();
            nagare_core::events::parse_batch(&lines.join("\n"), true).unwrap()
        };
        // 40 batches at once; every fifth was checked against a revision long gone.
        let writes = (0..40).map(|i| {
            let writer = writer.clone();
            let checked = (i % 5 == 4).then_some(-7);
            let events = batch(i);
            let raw = raw(i);
            async move { writer.ingest(events, raw, checked).await }
        });
        let results = futures_util::future::join_all(writes).await;
        let mut revs = Vec::new();
        for (i, r) in results.iter().enumerate() {
            match (i % 5 == 4, r) {
                (false, Ok((counts, rev))) => {
                    assert_eq!(
                        (counts.accepted, counts.updated),
                        (20, 0),
                        "{backend}: batch {i}"
                    );
                    revs.push(*rev);
                }
                (true, Err(nagare_server::store::StoreError::Moved { .. })) => {}
                (_, other) => panic!("{backend}: batch {i}: {other:?}"),
            }
        }
        // Each stored batch has a revision of its own, and they follow each other.
        revs.sort_unstable();
        assert_eq!(revs, (1..=32).collect::<Vec<i64>>(), "{backend}");
        assert_eq!(store.current_rev().await.unwrap(), 32, "{backend}");
        assert_eq!(store.event_count().await.unwrap(), 32 * 20, "{backend}");
        // Nothing of a refused batch: neither its events nor its delivery.
        let kept = store.recent_deliveries(100).await.unwrap();
        assert_eq!(kept.len(), 32, "{backend}");
        assert!(kept
            .iter()
            .all(|d| d.source.trim_start_matches('w').parse::<usize>().unwrap() % 5 != 4));
        let again = writer.ingest(batch(0), raw(0), None).await.unwrap();
        assert_eq!(
            (again.0.accepted, again.0.updated, again.1),
            (0, 20, 33),
            "{backend}"
        );
    }
}
