#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failure should panic
//! Where cost exports are read from (`nagare_server::cost::layout`, `cost::s3`), against a real
//! S3-compatible server: SeaweedFS on loopback, one per test binary (`cost_s3/seaweedfs.rs`;
//! these tests fail, never skip, without it), and against local directories.
//!
//! AWS Data Exports deliveries are written by hand the way AWS lays them out
//! (`cost_s3/export.rs`): two billing periods, one delivered as a "create new" export (its
//! files in an execution's sub-folder, an older execution's file still beside them) and one as
//! an "overwrite" export whose manifest names one file by a bucket-relative key. Each test
//! checks the listing against the keys and byte counts it wrote: the periods and the files
//! their manifests name (never a stray one), a delivery without its manifest waiting until the
//! manifest arrives, restatements (a manifest rewritten in place, a newer one at another path,
//! data rewritten in place) changing that period's version and files and no other's, and the
//! bytes read back. Then loose files, errors that say what to fix, the credentials cache, and
//! the standard AWS chain (environment keys, profiles) in processes of their own.

#[path = "cost_s3/credentials.rs"]
mod credentials;
#[path = "cost_s3/export.rs"]
mod export;
#[path = "cost_s3/ingest.rs"]
mod ingest;
#[path = "cost_s3/local.rs"]
mod local;
#[path = "cost_s3/seaweedfs.rs"]
mod seaweedfs;

use export::{file, loose, period, periods, seen, Export, Sink};
use nagare_server::cost::layout::{self, PeriodState};
use object_store::path::Path;
use object_store::ObjectStore;
use std::collections::BTreeMap;

/// What `deliver` wrote: each period's files as the listing must show them, their manifests,
/// the file no manifest names, and every file's bytes.
pub struct Delivered {
    pub jan: Vec<(String, u64)>,
    pub feb: Vec<(String, u64)>,
    pub jan_manifest: String,
    pub feb_manifest: String,
    pub stray: String,
    pub bytes: BTreeMap<String, Vec<u8>>,
}

/// Two billing periods of `export`: 2026-01 as a "create new" delivery (Parquet, in the
/// current execution's folder; a file of an older execution stays beside it, named by no
/// manifest) and 2026-02 as an "overwrite" delivery (CSV.gz, one file named by a
/// bucket-relative key). Plus files that are never data: `_SUCCESS`, a hidden file, the
/// export's `-Metadata.json`.
pub async fn deliver(sink: &Sink, export: &Export) -> Delivered {
    let mut bytes = BTreeMap::new();
    let mut write = |key: String, b: Vec<u8>| {
        bytes.insert(key.clone(), b.clone());
        (key, b)
    };
    let (stray, stray_b) = write(
        export.data_key(
            "2026-01",
            Some("20260115T031500Z-7c2a"),
            "00001.snappy.parquet",
        ),
        export::parquet_bytes(1),
    );
    let (j1, j1_b) = write(
        export.data_key(
            "2026-01",
            Some("20260202T031500Z-9d4b"),
            "00001.snappy.parquet",
        ),
        export::parquet_bytes(2),
    );
    let (j2, j2_b) = write(
        export.data_key(
            "2026-01",
            Some("20260202T031500Z-9d4b"),
            "00002.snappy.parquet",
        ),
        export::parquet_bytes(3),
    );
    let (f1, f1_b) = write(
        export.data_key("2026-02", None, "00001.csv.gz"),
        export::csv_gz(&[
            ("2026-02-01", "Amazon EC2", 12.5),
            ("2026-02-02", "AWS Lambda", 0.75),
        ]),
    );
    let (f2, f2_b) = write(
        export.data_key("2026-02", None, "00002.csv.gz"),
        export::csv_gz(&[("2026-02-03", "Amazon S3", 3.25)]),
    );
    for (key, b) in [
        (&stray, &stray_b),
        (&j1, &j1_b),
        (&j2, &j2_b),
        (&f1, &f1_b),
        (&f2, &f2_b),
    ] {
        sink.put(key, b).await;
    }
    let feb_dir = f1.rsplit_once('/').unwrap().0.to_owned();
    sink.put(&format!("{feb_dir}/_SUCCESS"), b"").await;
    sink.put(&format!("{feb_dir}/.part-00003.csv.gz"), b"half")
        .await;
    let jan_manifest = export.manifest_key("2026-01", None);
    let feb_manifest = export.manifest_key("2026-02", None);
    let meta_dir = feb_manifest.rsplit_once('/').unwrap().0.to_owned();
    sink.put(&format!("{meta_dir}/{}-Metadata.json", export.name), b"{}")
        .await;
    let jan_files = vec![export.uri(&j1), export.uri(&j2)];
    sink.put(
        &jan_manifest,
        &export.manifest("2026-01", "20260202T031500Z-9d4b", &jan_files),
    )
    .await;
    // An overwrite delivery's manifest; the second file as a key relative to the bucket.
    let feb_files = vec![export.uri(&f1), export.s3_key(&f2)];
    sink.put(
        &feb_manifest,
        &export.manifest("2026-02", "20260303T031500Z-1e5f", &feb_files),
    )
    .await;
    Delivered {
        jan: vec![file(&j1, &j1_b), file(&j2, &j2_b)],
        feb: vec![file(&f1, &f1_b), file(&f2, &f2_b)],
        jan_manifest,
        feb_manifest,
        stray,
        bytes,
    }
}

fn s3_export(bucket: &str) -> Export {
    Export {
        bucket: bucket.to_owned(),
        root: "cur/focus".into(),
        s3_root: "cur/focus".into(),
        name: "focus".into(),
        partition: "BILLING_PERIOD",
    }
}

async fn list(store: &dyn ObjectStore, prefix: &str) -> layout::Listing {
    layout::list(store, &Path::parse(prefix).unwrap())
        .await
        .unwrap_or_else(|e| panic!("listing {prefix}: {e}"))
}

async fn list_err(store: &dyn ObjectStore, prefix: &str) -> String {
    match layout::list(store, &Path::parse(prefix).unwrap()).await {
        Ok(l) => panic!("listing {prefix} should fail, got {l:?}"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn s3_lists_billing_periods_from_their_manifests() {
    let (bucket, store) = seaweedfs::bucket("periods").await;
    let export = s3_export(&bucket);
    let d = deliver(&Sink::Store(store.clone()), &export).await;

    let listing = list(store.as_ref(), "cur/focus").await;
    let got: Vec<_> = periods(&listing).iter().map(seen).collect();
    assert_eq!(
        got,
        vec![
            (
                "2026-01".into(),
                PeriodState::Ready,
                d.jan.clone(),
                Some(d.jan_manifest.clone())
            ),
            (
                "2026-02".into(),
                PeriodState::Ready,
                d.feb.clone(),
                Some(d.feb_manifest.clone())
            ),
        ]
    );
    for p in periods(&listing) {
        assert_eq!(p.version.len(), 64, "a SHA-256 in hex: {p:?}");
        for f in &p.files {
            assert!(f.etag.is_some(), "S3 gives each object an ETag: {f:?}");
            assert_ne!(
                f.path.as_ref(),
                d.stray,
                "the older execution's file is named by no manifest"
            );
        }
    }
    assert_ne!(
        period(&listing, "2026-01").version,
        period(&listing, "2026-02").version
    );

    // Nothing changed: the same versions.
    let again = list(store.as_ref(), "cur/focus").await;
    assert_eq!(again, listing);

    // The bytes written come back.
    for p in periods(&listing) {
        for f in &p.files {
            let got = layout::fetch(store.as_ref(), &f.path).await.unwrap();
            assert_eq!(
                got.as_ref(),
                d.bytes[f.path.as_ref()].as_slice(),
                "{}",
                f.path
            );
        }
    }

    // The prefix above the export finds the same export.
    assert_eq!(list(store.as_ref(), "cur").await, listing);
    // With a second export beside it, the prefix above is ambiguous: refused, each named.
    seaweedfs::put(
        store.as_ref(),
        "cur/cur2/data/BILLING_PERIOD=2026-01/cur2-00001.snappy.parquet",
        &export::parquet_bytes(9),
    )
    .await;
    let e = list_err(store.as_ref(), "cur").await;
    assert!(
        e.contains("several Data Exports") && e.contains("cur/cur2") && e.contains("cur/focus"),
        "{e}"
    );
    assert_eq!(list(store.as_ref(), "cur/focus").await, listing);

    // The data/ folder itself is not an export's folder: refused rather than read whole.
    let e = list_err(store.as_ref(), "cur/focus/data").await;
    assert!(e.contains("point the source at the export's folder"), "{e}");
}

#[tokio::test]
async fn s3_half_written_delivery_waits_for_its_manifest() {
    let (bucket, store) = seaweedfs::bucket("halfway").await;
    let export = s3_export(&bucket);
    let sink = Sink::Store(store.clone());
    let d = deliver(&sink, &export).await;
    let before = list(store.as_ref(), "cur/focus").await;

    // 2026-03's data files arrive; its manifest does not yet.
    let m1 = export.data_key(
        "2026-03",
        Some("20260402T031500Z-aa01"),
        "00001.snappy.parquet",
    );
    let m2 = export.data_key(
        "2026-03",
        Some("20260402T031500Z-aa01"),
        "00002.snappy.parquet",
    );
    let (m1_b, m2_b) = (export::parquet_bytes(20), export::parquet_bytes(21));
    sink.put(&m1, &m1_b).await;
    let listing = list(store.as_ref(), "cur/focus").await;
    let march = period(&listing, "2026-03");
    assert_eq!(
        seen(march),
        ("2026-03".into(), PeriodState::Waiting, vec![], None)
    );
    assert_eq!(march.version, "");
    // The other periods are as they were.
    assert_eq!(period(&listing, "2026-01"), period(&before, "2026-01"));
    assert_eq!(period(&listing, "2026-02"), period(&before, "2026-02"));

    // A manifest that names a file not there yet: still nothing to read.
    let manifest = export.manifest_key("2026-03", None);
    let files = vec![export.uri(&m1), export.uri(&m2)];
    sink.put(
        &manifest,
        &export.manifest("2026-03", "20260402T031500Z-aa01", &files),
    )
    .await;
    let listing = list(store.as_ref(), "cur/focus").await;
    assert_eq!(
        seen(period(&listing, "2026-03")),
        (
            "2026-03".into(),
            PeriodState::Waiting,
            vec![],
            Some(manifest.clone())
        )
    );

    // Every file it names is there: ready, with exactly those files.
    sink.put(&m2, &m2_b).await;
    let listing = list(store.as_ref(), "cur/focus").await;
    let march = period(&listing, "2026-03");
    assert_eq!(
        seen(march),
        (
            "2026-03".into(),
            PeriodState::Ready,
            vec![file(&m1, &m1_b), file(&m2, &m2_b)],
            Some(manifest)
        )
    );
    assert_eq!(march.version.len(), 64);
    assert_eq!(period(&listing, "2026-01"), period(&before, "2026-01"));
    assert_eq!(d.jan, seen(period(&listing, "2026-01")).2);
}

#[tokio::test]
async fn s3_restatements_change_the_period_version() {
    let (bucket, store) = seaweedfs::bucket("restated").await;
    let export = s3_export(&bucket);
    let sink = Sink::Store(store.clone());
    let d = deliver(&sink, &export).await;
    let v0 = list(store.as_ref(), "cur/focus").await;

    // 2026-01 restated by a new execution: new files in its own folder, the manifest
    // rewritten at the same path.
    let j3 = export.data_key(
        "2026-01",
        Some("20260210T031500Z-bb02"),
        "00001.snappy.parquet",
    );
    let j3_b = export::parquet_bytes(30);
    sink.put(&j3, &j3_b).await;
    sink.put(
        &d.jan_manifest,
        &export.manifest("2026-01", "20260210T031500Z-bb02", &[export.uri(&j3)]),
    )
    .await;
    let v1 = list(store.as_ref(), "cur/focus").await;
    let jan = period(&v1, "2026-01");
    assert_eq!(jan.files.len(), 1);
    assert_eq!(seen(jan).2, vec![file(&j3, &j3_b)]);
    assert_eq!(jan.state, PeriodState::Ready);
    assert_ne!(jan.version, period(&v0, "2026-01").version);
    assert_eq!(
        period(&v1, "2026-02"),
        period(&v0, "2026-02"),
        "2026-02 is untouched"
    );

    // 2026-02 restated in place (an overwrite export): the same file names, other bytes, and
    // the manifest rewritten with the new execution.
    let f1 = d.feb[0].0.clone();
    let f1_b = export::csv_gz(&[
        ("2026-02-01", "Amazon EC2", 13.0),
        ("2026-02-02", "AWS Lambda", 0.5),
        ("2026-02-02", "Amazon EC2", -1.25),
    ]);
    assert_ne!(f1_b.len(), d.bytes[&f1].len());
    sink.put(&f1, &f1_b).await;
    let feb_files = vec![export.uri(&f1), export.uri(&d.feb[1].0)];
    sink.put(
        &d.feb_manifest,
        &export.manifest("2026-02", "20260305T031500Z-cc03", &feb_files),
    )
    .await;
    let v2 = list(store.as_ref(), "cur/focus").await;
    let feb = period(&v2, "2026-02");
    assert_eq!(seen(feb).2, vec![file(&f1, &f1_b), d.feb[1].clone()]);
    assert_ne!(feb.version, period(&v1, "2026-02").version);
    assert_ne!(feb.files[0].etag, period(&v1, "2026-02").files[0].etag);
    assert_eq!(
        period(&v2, "2026-01"),
        period(&v1, "2026-01"),
        "2026-01 is untouched"
    );
    assert_eq!(
        layout::fetch(store.as_ref(), &feb.files[0].path)
            .await
            .unwrap()
            .as_ref(),
        f1_b.as_slice()
    );

    // A newer manifest at another path (whose name sorts before the old one's): the newest
    // is the period's delivery. SeaweedFS keeps times to the second: wait past one.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let f3 = export.data_key("2026-02", Some("0-restated"), "00001.csv.gz");
    let f3_b = export::csv_gz(&[("2026-02-01", "Amazon EC2", 14.0)]);
    sink.put(&f3, &f3_b).await;
    let newer = export.manifest_key("2026-02", Some("0-restated"));
    assert!(newer < d.feb_manifest);
    sink.put(
        &newer,
        &export.manifest("2026-02", "0-restated", &[export.uri(&f3)]),
    )
    .await;
    let v3 = list(store.as_ref(), "cur/focus").await;
    assert_eq!(
        seen(period(&v3, "2026-02")),
        (
            "2026-02".into(),
            PeriodState::Ready,
            vec![file(&f3, &f3_b)],
            Some(newer)
        )
    );
    assert_ne!(
        period(&v3, "2026-02").version,
        period(&v2, "2026-02").version
    );
    assert_eq!(
        period(&v3, "2026-01"),
        period(&v1, "2026-01"),
        "2026-01 is untouched"
    );
}

#[tokio::test]
async fn s3_loose_files_are_read_whole() {
    let (_bucket, store) = seaweedfs::bucket("loose").await;
    let sink = Sink::Store(store.clone());
    let a = (
        "exports/adhoc/a.csv.gz",
        export::csv_gz(&[("2026-01-01", "Amazon EC2", 1.0)]),
    );
    let c = ("exports/adhoc/c.CSV", b"BilledCost\n2.5\n".to_vec());
    let b = (
        "exports/adhoc/sub/b.snappy.parquet",
        export::parquet_bytes(5),
    );
    for (key, bytes) in [&a, &b, &c] {
        sink.put(key, bytes).await;
    }
    for (key, bytes) in [
        ("exports/adhoc/notes.json", &b"{}"[..]),
        ("exports/adhoc/_SUCCESS", b""),
        ("exports/adhoc/.hidden.csv", b"x"),
        ("exports/adhoc/_tmp/d.csv", b"x"),
        ("exports/adhoc/crawler.yml", b"x"),
    ] {
        sink.put(key, bytes).await;
    }
    let listing = list(store.as_ref(), "exports/adhoc").await;
    let (files, version) = loose(&listing);
    let got: Vec<_> = files.iter().map(|f| (f.path.to_string(), f.size)).collect();
    assert_eq!(got, vec![file(a.0, &a.1), file(c.0, &c.1), file(b.0, &b.1)]);
    assert_eq!(version.len(), 64);
    assert_eq!(
        list(store.as_ref(), "exports/adhoc").await,
        listing,
        "unchanged: same version"
    );

    // A file rewritten: another version.
    sink.put(c.0, b"BilledCost\n3.5\n").await;
    let rewritten = list(store.as_ref(), "exports/adhoc").await;
    assert_ne!(loose(&rewritten).1, version);

    // One file as the location.
    let one = list(store.as_ref(), a.0).await;
    let (files, _) = loose(&one);
    assert_eq!(
        files
            .iter()
            .map(|f| (f.path.to_string(), f.size))
            .collect::<Vec<_>>(),
        vec![file(a.0, &a.1)]
    );
    let e = list_err(store.as_ref(), "exports/adhoc/notes.json").await;
    assert!(e.contains("not a CSV, CSV.gz or Parquet file"), "{e}");
    let e = list_err(store.as_ref(), "exports/nothing-here").await;
    assert!(e.contains("no files there"), "{e}");
}

#[tokio::test]
async fn s3_errors_say_what_to_fix() {
    let (bucket, store) = seaweedfs::bucket("errors").await;
    seaweedfs::put(store.as_ref(), "x/a.csv", b"BilledCost\n1\n").await;
    let cfg = seaweedfs::config();
    use aws_credential_types::provider::SharedCredentialsProvider;
    use aws_credential_types::Credentials;
    use nagare_server::cost::s3;

    // A wrong secret: S3's refusal, with what to check, and never the secret.
    let wrong = SharedCredentialsProvider::new(Credentials::new(
        seaweedfs::ACCESS_KEY,
        "wrong-secret-8f3a1c",
        None,
        None,
        "test",
    ));
    let bad = s3::store_with(&bucket, &cfg, wrong).unwrap();
    let e = list_err(bad.as_ref(), "x").await;
    assert!(
        e.contains("SignatureDoesNotMatch") || e.contains("AccessDenied"),
        "{e}"
    );
    assert!(!e.contains("wrong-secret"), "{e}");

    // A bucket that is not there.
    let missing = s3::store_with("no-such-bucket-4e1d", &cfg, seaweedfs::keys()).unwrap();
    let e = list_err(missing.as_ref(), "x").await;
    assert!(
        e.contains("NoSuchBucket") && e.contains("check the location's bucket name"),
        "{e}"
    );

    // Configuration mistakes, found before any request.
    let with = |f: &dyn Fn(&mut nagare_server::config::S3Config)| {
        let mut c = cfg.clone();
        f(&mut c);
        match s3::store_with(&bucket, &c, seaweedfs::keys()) {
            Ok(_) => panic!("{c:?} should be refused"),
            Err(e) => e,
        }
    };
    let e = with(&|c| c.endpoint = Some("ftp://127.0.0.1:21".into()));
    assert!(
        e.contains("cost.s3.endpoint") && e.contains("http:// or https://"),
        "{e}"
    );
    let e = with(&|c| c.endpoint = Some("127.0.0.1 8333".into()));
    assert!(
        e.contains("cost.s3.endpoint") && e.contains("not a URL"),
        "{e}"
    );
    let e = with(&|c| c.region = Some("  ".into()));
    assert!(e.contains("cost.s3.region"), "{e}");
    let e = match s3::store_with(" ", &cfg, seaweedfs::keys()) {
        Ok(_) => panic!("an empty bucket name should be refused"),
        Err(e) => e,
    };
    assert!(e.contains("no bucket name"), "{e}");
    let e = match s3::store(
        "b",
        &nagare_server::config::S3Config {
            profile: Some(" ".into()),
            ..cfg.clone()
        },
    ) {
        Ok(_) => panic!("an empty profile should be refused"),
        Err(e) => e,
    };
    assert!(e.contains("cost.s3.profile"), "{e}");
}
