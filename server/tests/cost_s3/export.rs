//! An AWS Data Exports delivery written by hand, the way AWS lays it out:
//! `ROOT/data/BILLING_PERIOD=YYYY-MM/[EXECUTION/]NAME-0000N.snappy.parquet|csv.gz` and
//! `ROOT/metadata/BILLING_PERIOD=YYYY-MM/NAME-Manifest.json`, the manifest listing its data
//! files as full `s3://` URIs (with the fields AWS documents: executionId, exportArn, columns,
//! dataFiles, additionalOutputFiles). Written to S3 through object_store, or to a directory
//! with std::fs.

use flate2::write::GzEncoder;
use layout::{ExportFile, Listing, PeriodFiles, PeriodState};
use nagare_server::cost::layout;
use object_store::ObjectStore;
use serde_json::json;
use std::io::Write;
use std::sync::Arc;

/// Where an export is written.
pub enum Sink {
    Store(Arc<dyn ObjectStore>),
    Dir(std::path::PathBuf),
}

impl Sink {
    pub async fn put(&self, key: &str, bytes: &[u8]) {
        match self {
            Sink::Store(store) => super::seaweedfs::put(store.as_ref(), key, bytes).await,
            Sink::Dir(dir) => {
                let path = dir.join(key);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, bytes).unwrap();
            }
        }
    }

    pub async fn delete(&self, key: &str) {
        match self {
            Sink::Store(store) => store
                .delete(&object_store::path::Path::parse(key).unwrap())
                .await
                .unwrap(),
            Sink::Dir(dir) => std::fs::remove_file(dir.join(key)).unwrap(),
        }
    }
}

/// One export: the bucket its manifests name, its folder where it is written (`root`) and in
/// that bucket (`s3_root`: they differ for a copy of the export in a directory), its name, and
/// how its partitions are spelled (`BILLING_PERIOD` for CUR 2.0, `billing_period` seen on
/// FOCUS).
pub struct Export {
    pub bucket: String,
    pub root: String,
    pub s3_root: String,
    pub name: String,
    pub partition: &'static str,
}

impl Export {
    fn join(&self, tail: String) -> String {
        if self.root.is_empty() {
            tail
        } else {
            format!("{}/{tail}", self.root)
        }
    }

    /// A data file's key; `execution`: the sub-folder of a "create new" delivery.
    pub fn data_key(&self, period: &str, execution: Option<&str>, part: &str) -> String {
        let exec = execution.map(|e| format!("{e}/")).unwrap_or_default();
        self.join(format!(
            "data/{}={period}/{exec}{}-{part}",
            self.partition, self.name
        ))
    }

    /// The manifest's key; `sub`: a sub-folder under the period's metadata folder.
    pub fn manifest_key(&self, period: &str, sub: Option<&str>) -> String {
        let sub = sub.map(|s| format!("{s}/")).unwrap_or_default();
        self.join(format!(
            "metadata/{}={period}/{sub}{}-Manifest.json",
            self.partition, self.name
        ))
    }

    /// The key AWS wrote a file under in its bucket, for the key it is written under here.
    pub fn s3_key(&self, key: &str) -> String {
        let tail = key
            .strip_prefix(&self.root)
            .unwrap()
            .trim_start_matches('/');
        if self.s3_root.is_empty() {
            tail.to_owned()
        } else {
            format!("{}/{tail}", self.s3_root)
        }
    }

    /// The `s3://` URI a manifest names a file by.
    pub fn uri(&self, key: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.s3_key(key))
    }

    /// A manifest listing `data_files` (as written in it: URIs or keys).
    pub fn manifest(&self, period: &str, execution: &str, data_files: &[String]) -> Vec<u8> {
        let (year, month) = period.split_once('-').unwrap();
        let (year, month): (i32, u32) = (year.parse().unwrap(), month.parse().unwrap());
        let (ny, nm) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
        serde_json::to_vec_pretty(&json!({
            "executionId": execution,
            "exportArn": format!(
                "arn:aws:bcm-data-exports:us-east-1:111122223333:export/{}-0f4e7c1a", self.name
            ),
            "billingPeriod": {
                "start": format!("{year:04}-{month:02}-01T00:00:00.000Z"),
                "end": format!("{ny:04}-{nm:02}-01T00:00:00.000Z"),
            },
            "columns": [
                { "name": "BilledCost", "type": "decimal(38,18)" },
                { "name": "ChargePeriodStart", "type": "timestamp" },
                { "name": "ServiceName", "type": "string" },
                { "name": "Tags", "type": "map<string,string>" },
            ],
            "dataFiles": data_files,
            "additionalOutputFiles": [],
        }))
        .unwrap()
    }
}

/// A small FOCUS CSV, gzipped: one row per (day, service, cost).
pub fn csv_gz(rows: &[(&str, &str, f64)]) -> Vec<u8> {
    let mut csv = String::from(
        "BilledCost,EffectiveCost,ChargePeriodStart,ChargePeriodEnd,ServiceName,Tags\n",
    );
    for (day, service, cost) in rows {
        csv.push_str(&format!(
            "{cost},{cost},{day}T00:00:00Z,{day}T01:00:00Z,{service},\"{{\"\"user:team\"\"\
             :\"\"payments\"\"}}\"\n"
        ));
    }
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.as_bytes()).unwrap();
    gz.finish().unwrap()
}

/// Bytes standing for a Parquet file (framed by its magic number): layout never parses them,
/// and each `seed` gives other bytes of another length.
pub fn parquet_bytes(seed: u8) -> Vec<u8> {
    let mut b = b"PAR1".to_vec();
    b.extend((0..(40 + seed as usize)).map(|i| (i as u8).wrapping_mul(31) ^ seed));
    b.extend_from_slice(b"PAR1");
    b
}

/// A period as the tests compare it: (period, state, [(path, size)], manifest). ETags and
/// versions are checked apart.
pub type Seen = (String, PeriodState, Vec<(String, u64)>, Option<String>);

pub fn seen(p: &PeriodFiles) -> Seen {
    (
        p.period.clone(),
        p.state,
        p.files
            .iter()
            .map(|f| (f.path.to_string(), f.size))
            .collect(),
        p.manifest.clone(),
    )
}

pub fn periods(listing: &Listing) -> &[PeriodFiles] {
    match listing {
        Listing::Periods(p) => p,
        other => panic!("expected the Data Exports layout, got {other:?}"),
    }
}

pub fn loose(listing: &Listing) -> (&[ExportFile], &str) {
    match listing {
        Listing::Loose { files, version } => (files, version),
        other => panic!("expected loose files, got {other:?}"),
    }
}

/// The period `period` of a listing.
pub fn period<'a>(listing: &'a Listing, period: &str) -> &'a PeriodFiles {
    periods(listing)
        .iter()
        .find(|p| p.period == period)
        .unwrap_or_else(|| panic!("no period {period} in {listing:?}"))
}

/// `(key, size)` as a listing shows it, for a key written with `bytes`.
pub fn file(key: &str, bytes: &[u8]) -> (String, u64) {
    (key.to_owned(), bytes.len() as u64)
}
