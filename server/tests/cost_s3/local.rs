//! The same listings from local directories (a copy of an export synced from S3, loose files,
//! one file), and how locations are written.

use super::deliver;
use super::export::{file, loose, period, periods, seen, Export, Sink};
use nagare_server::config::S3Config;
use nagare_server::cost::layout::{self, Listing, Location, PeriodState};

/// An export copied from `s3://billing-archive/cur/focus/` into a directory (`aws s3 sync`):
/// the directory is the export's folder, its manifests still name the bucket's URIs, and its
/// partitions are spelled `billing_period=` as FOCUS exports write them.
fn synced() -> Export {
    Export {
        bucket: "billing-archive".into(),
        root: String::new(),
        s3_root: "cur/focus".into(),
        name: "focus".into(),
        partition: "billing_period",
    }
}

async fn list_dir(location: &str) -> Result<Listing, String> {
    let loc = layout::parse_location(location)?;
    let (store, prefix) = layout::open(&loc, &S3Config::default()).await?;
    layout::list(store.as_ref(), &prefix).await
}

#[tokio::test]
async fn local_directory_in_the_data_exports_layout() {
    let dir = tempfile::tempdir().unwrap();
    let export = synced();
    let sink = Sink::Dir(dir.path().to_owned());
    let d = deliver(&sink, &export).await;
    let root = dir.path().display().to_string();

    let listing = list_dir(&root).await.unwrap();
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
    assert!(d
        .jan_manifest
        .starts_with("metadata/billing_period=2026-01/"));
    assert!(periods(&listing).iter().all(|p| p.version.len() == 64));
    // Read back through the store `open` gave.
    let (store, _) = layout::open(
        &layout::parse_location(&root).unwrap(),
        &S3Config::default(),
    )
    .await
    .unwrap();
    for p in periods(&listing) {
        for f in &p.files {
            assert_ne!(f.path.as_ref(), d.stray);
            let got = layout::fetch(store.as_ref(), &f.path).await.unwrap();
            assert_eq!(got.as_ref(), d.bytes[f.path.as_ref()].as_slice());
        }
    }
    // file:// says the same.
    assert_eq!(list_dir(&format!("file://{root}")).await.unwrap(), listing);

    // A delivery without its manifest waits; its manifest makes it ready; the others stay.
    let m1 = export.data_key("2026-03", None, "00001.csv.gz");
    let m1_b = super::export::csv_gz(&[("2026-03-01", "Amazon RDS", 4.0)]);
    sink.put(&m1, &m1_b).await;
    let half = list_dir(&root).await.unwrap();
    assert_eq!(
        seen(period(&half, "2026-03")),
        ("2026-03".into(), PeriodState::Waiting, vec![], None)
    );
    assert_eq!(period(&half, "2026-01"), period(&listing, "2026-01"));
    let manifest = export.manifest_key("2026-03", None);
    sink.put(
        &manifest,
        &export.manifest("2026-03", "e3", &[export.uri(&m1)]),
    )
    .await;
    let whole = list_dir(&root).await.unwrap();
    assert_eq!(
        seen(period(&whole, "2026-03")),
        (
            "2026-03".into(),
            PeriodState::Ready,
            vec![file(&m1, &m1_b)],
            Some(manifest)
        )
    );

    // A restatement rewriting 2026-02's manifest in place: a new version, its new files.
    let f3 = export.data_key("2026-02", Some("e4"), "00001.csv.gz");
    let f3_b = super::export::csv_gz(&[("2026-02-01", "Amazon EC2", 99.0)]);
    sink.put(&f3, &f3_b).await;
    sink.put(
        &d.feb_manifest,
        &export.manifest("2026-02", "e4", &[export.uri(&f3)]),
    )
    .await;
    let restated = list_dir(&root).await.unwrap();
    assert_eq!(seen(period(&restated, "2026-02")).2, vec![file(&f3, &f3_b)]);
    assert_ne!(
        period(&restated, "2026-02").version,
        period(&whole, "2026-02").version
    );
    assert_eq!(period(&restated, "2026-01"), period(&whole, "2026-01"));
    assert_eq!(period(&restated, "2026-03"), period(&whole, "2026-03"));

    // A manifest that is not one: the period waits (naming it), the others are read.
    sink.put(&d.jan_manifest, b"{\"dataFiles\": 3}").await;
    let broken = list_dir(&root).await.unwrap();
    assert_eq!(
        seen(period(&broken, "2026-01")),
        (
            "2026-01".into(),
            PeriodState::Waiting,
            vec![],
            Some(d.jan_manifest.clone())
        )
    );
    assert_eq!(period(&broken, "2026-02"), period(&restated, "2026-02"));
}

#[tokio::test]
async fn local_loose_files_and_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::Dir(dir.path().to_owned());
    let a = super::export::csv_gz(&[("2026-01-01", "Amazon EC2", 1.0)]);
    let b = super::export::parquet_bytes(7);
    sink.put("2026/january.csv.gz", &a).await;
    sink.put("2026/february.parquet", &b).await;
    sink.put("2026/README.txt", b"notes").await;
    sink.put("2026/.~lock.january.csv#", b"x").await;
    sink.put("_SUCCESS", b"").await;
    let root = dir.path().display().to_string();
    let listing = list_dir(&root).await.unwrap();
    let (files, version) = loose(&listing);
    let got: Vec<_> = files.iter().map(|f| (f.path.to_string(), f.size)).collect();
    assert_eq!(
        got,
        vec![
            file("2026/february.parquet", &b),
            file("2026/january.csv.gz", &a)
        ]
    );
    assert_eq!(version.len(), 64);

    // A file added: another version.
    sink.put("2026/march.csv", b"BilledCost\n1\n").await;
    let more = list_dir(&root).await.unwrap();
    assert_eq!(loose(&more).0.len(), 3);
    assert_ne!(loose(&more).1, version);

    // One file as the location: its folder is the store's root, the file its only entry.
    let one = list_dir(&dir.path().join("2026/january.csv.gz").display().to_string())
        .await
        .unwrap();
    let got: Vec<_> = loose(&one)
        .0
        .iter()
        .map(|f| (f.path.to_string(), f.size))
        .collect();
    assert_eq!(got, vec![file("january.csv.gz", &a)]);

    // Nothing to read, or nothing there.
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("notes.json"), b"{}").unwrap();
    let e = list_dir(&empty.path().display().to_string())
        .await
        .unwrap_err();
    assert!(e.contains("no CSV, CSV.gz or Parquet files"), "{e}");
    let gone = dir.path().join("no-such-folder").display().to_string();
    let e = list_dir(&gone).await.unwrap_err();
    assert!(
        e.contains(&gone) && e.contains("give an existing directory or file"),
        "{e}"
    );
}

#[test]
fn locations_are_parsed_or_refused_with_the_reason() {
    let s3 = |bucket: &str, prefix: &str| Location::S3 {
        bucket: bucket.into(),
        prefix: prefix.into(),
    };
    for (text, want) in [
        ("s3://billing/cur/focus/", s3("billing", "cur/focus")),
        ("  s3://billing/cur/focus  ", s3("billing", "cur/focus")),
        ("S3://billing/cur", s3("billing", "cur")),
        ("s3://billing", s3("billing", "")),
        ("s3://billing/", s3("billing", "")),
        ("s3://my.bucket-2/x", s3("my.bucket-2", "x")),
        (
            "/var/lib/nagare/cur",
            Location::Local("/var/lib/nagare/cur".into()),
        ),
        ("exports/cur", Location::Local("exports/cur".into())),
        (
            "file:///var/lib/nagare/cur",
            Location::Local("/var/lib/nagare/cur".into()),
        ),
    ] {
        assert_eq!(layout::parse_location(text).as_ref(), Ok(&want), "{text}");
    }
    assert_eq!(
        s3("billing", "cur/focus").to_string(),
        "s3://billing/cur/focus"
    );
    assert_eq!(s3("billing", "").to_string(), "s3://billing");

    for (text, says) in [
        ("s3://", "no bucket after s3://"),
        ("s3:///x", "no bucket after s3://"),
        ("ftp://files.example.com/cur", "ftp:// is not supported"),
        (
            "https://billing.s3.amazonaws.com/cur",
            "https:// is not supported",
        ),
        ("", "empty"),
        ("   ", "empty"),
        ("s3://bill ing/x", "cannot be in a bucket name"),
        ("s3://billing/cur//focus", "not a usable key prefix"),
        ("file://cur", "needs an absolute path"),
    ] {
        match layout::parse_location(text) {
            Ok(l) => panic!("{text:?} should be refused, got {l:?}"),
            Err(e) => assert!(e.contains(says), "{text:?}: {e}"),
        }
    }
}
