//! Where a cost source's files are, and which of them to read.
//!
//! A location is a local directory or file, or `s3://bucket/prefix`. Either way it is read
//! through `object_store`, and what is found there is one of:
//!
//! - **The AWS Data Exports layout** (FOCUS and CUR 2.0 exports):
//!   `EXPORT/data/BILLING_PERIOD=YYYY-MM/…` holds the data files (`*.snappy.parquet`,
//!   `*.csv.gz`, in a sub-folder per execution when the export creates new files on each
//!   refresh) and `EXPORT/metadata/BILLING_PERIOD=YYYY-MM/EXPORT-Manifest.json` the manifest
//!   of the period's latest delivery. The partition's key is matched whatever its case (FOCUS
//!   exports write `billing_period=`). AWS writes the manifest after all of its data files, so
//!   a period's files are exactly those its manifest lists in `dataFiles` (full `s3://` URIs,
//!   mapped to this store whatever the bucket, so a copy of the export in a directory reads
//!   the same; bucket-relative keys are accepted too), never whatever else lies in `data/`: a
//!   delivery being written is ignored until its manifest appears. The location may be the
//!   export's folder (holding `data/` and `metadata/`) or a prefix above exactly one export.
//! - **Loose files**: a folder of CSV, CSV.gz or Parquet files (any depth), or one such file,
//!   all read as one whole.
//!
//! Files whose name or folder starts with `.` or `_` (`_SUCCESS`, `.DS_Store`) and files that
//! are not data (`.json`, `.yml`, …) are skipped.

use crate::config::S3Config;
use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

/// A cost source's location, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A directory, or one file.
    Local(PathBuf),
    /// A bucket and the key prefix under it (no leading or trailing `/`; empty: the bucket).
    S3 { bucket: String, prefix: String },
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Local(p) => write!(f, "{}", p.display()),
            Location::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Location::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// Reads `s3://bucket/prefix`, `file:///path`, or a path.
pub fn parse_location(s: &str) -> Result<Location, String> {
    let s = s.trim();
    let usage = "give a directory, a file, or s3://BUCKET/PREFIX";
    if s.is_empty() {
        return Err(format!("cost source location: empty; {usage}"));
    }
    let Some((scheme, rest)) = s.split_once("://") else {
        return Ok(Location::Local(PathBuf::from(s)));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "s3" => {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(format!(
                    "cost source location {s:?}: no bucket after s3://; write \
                     s3://BUCKET/PREFIX"
                ));
            }
            if let Some(c) = bucket
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
            {
                return Err(format!(
                    "cost source location {s:?}: {c:?} cannot be in a bucket name \
                     ({bucket:?}); write s3://BUCKET/PREFIX"
                ));
            }
            let prefix = prefix.trim_matches('/');
            if !prefix.is_empty() {
                Path::parse(prefix).map_err(|e| {
                    format!(
                        "cost source location {s:?}: the prefix {prefix:?} is not a usable \
                         key prefix ({e})"
                    )
                })?;
            }
            Ok(Location::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.to_owned(),
            })
        }
        "file" if rest.starts_with('/') => Ok(Location::Local(PathBuf::from(rest))),
        "file" => Err(format!(
            "cost source location {s:?}: a file:// URL needs an absolute path \
             (file:///data/cur); {usage}"
        )),
        other => Err(format!(
            "cost source location {s:?}: {other}:// is not supported; {usage}"
        )),
    }
}

/// An object store and the prefix the export is under. A local directory is the store's root
/// (an empty prefix); a local file's folder is, with the file's name as the prefix.
pub async fn open(loc: &Location, s3: &S3Config) -> Result<(Arc<dyn ObjectStore>, Path), String> {
    match loc {
        Location::Local(path) => {
            let meta = tokio::fs::metadata(path).await.map_err(|e| {
                format!(
                    "cost source {}: {e}; give an existing directory or file",
                    path.display()
                )
            })?;
            let (dir, prefix) = if meta.is_dir() {
                (path.clone(), Path::default())
            } else {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let dir = match path.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                    _ => PathBuf::from("."),
                };
                (dir, Path::from(name.as_str()))
            };
            let store = LocalFileSystem::new_with_prefix(&dir)
                .map_err(|e| format!("cost source {}: {e}", path.display()))?;
            Ok((Arc::new(store), prefix))
        }
        Location::S3 { bucket, prefix } => {
            let store = super::s3::store(bucket, s3)?;
            let prefix = if prefix.is_empty() {
                Path::default()
            } else {
                Path::parse(prefix).map_err(|e| format!("{loc}: {e}"))?
            };
            Ok((store, prefix))
        }
    }
}

/// A file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    pub path: Path,
    pub size: u64,
    pub etag: Option<String>,
}

/// What a location holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// The Data Exports layout: one entry per billing period found under data/ or metadata/.
    Periods(Vec<PeriodFiles>),
    /// Files not in that layout (a folder of CSV/Parquet files, or a single file): read them all.
    Loose {
        files: Vec<ExportFile>,
        /// A digest of each file's path, size and ETag (else last-modified time): changes
        /// when any file is added, removed or rewritten.
        version: String,
    },
}

/// One billing period of a Data Exports layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodFiles {
    /// `YYYY-MM`.
    pub period: String,
    pub state: PeriodState,
    /// Ready: a digest of the manifest (its path, ETag, last-modified time and bytes), which
    /// any new delivery or restatement changes. Waiting: empty.
    pub version: String,
    /// Ready: the files the manifest lists, in its order. Waiting: none.
    pub files: Vec<ExportFile>,
    /// The manifest's path, when there is one (also when Waiting: it names files that are
    /// not there, or is not a manifest).
    pub manifest: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodState {
    /// A manifest whose files are all there: read them.
    Ready,
    /// Data files but no manifest yet (a delivery being written), or a manifest naming files
    /// that are not there or that cannot be read: nothing to read yet.
    Waiting,
}

/// Lists what lies under `prefix` (see the module's documentation). The manifests of the Data
/// Exports layout are read here, one GET per billing period.
pub async fn list(store: &dyn ObjectStore, prefix: &Path) -> Result<Listing, String> {
    let under = if prefix.as_ref().is_empty() {
        None
    } else {
        Some(prefix)
    };
    let objects: Vec<ObjectMeta> = store
        .list(under)
        .try_collect()
        .await
        .map_err(|e| failed(store, "listing", prefix, &e))?;
    if objects.is_empty() {
        return single_file(store, prefix).await;
    }
    let mut found = Found::default();
    for meta in &objects {
        let Some(rel) = relative(&meta.location, prefix) else {
            continue;
        };
        let rel: Vec<&str> = rel.split('/').collect();
        if rel.iter().any(|p| p.starts_with('.') || p.starts_with('_')) {
            continue;
        }
        found.add(meta, prefix, &rel);
    }
    if found.periods.is_empty() {
        if let Some(path) = found.bare_partition {
            return Err(format!(
                "{}: {path} is in a BILLING_PERIOD= folder with no data/ \
                 or metadata/ folder above it; point the source at the export's folder (the \
                 one holding data/ and metadata/) so that only the files each manifest lists \
                 are read",
                at(store, prefix)
            ));
        }
        return loose(store, prefix, found.loose);
    }
    if found.roots.len() > 1 {
        let roots: Vec<&str> = found.roots.iter().map(String::as_str).collect();
        return Err(format!(
            "{}: several Data Exports are there ({}); point the source \
             at one of them, so that no cost is read twice",
            at(store, prefix),
            roots.join(", ")
        ));
    }
    let root = found.roots.into_iter().next().unwrap_or_default();
    let index: HashMap<&str, &ObjectMeta> =
        objects.iter().map(|m| (m.location.as_ref(), m)).collect();
    let mut periods = Vec::with_capacity(found.periods.len());
    for (period, seen) in found.periods {
        periods.push(read_period(store, &root, &index, period, seen).await?);
    }
    Ok(Listing::Periods(periods))
}

/// Reads a file whole.
pub async fn fetch(store: &dyn ObjectStore, path: &Path) -> Result<Bytes, String> {
    let got = store
        .get(path)
        .await
        .map_err(|e| failed(store, "reading", path, &e))?;
    got.bytes()
        .await
        .map_err(|e| failed(store, "reading", path, &e))
}

/// What the listing found, sorted out.
#[derive(Default)]
struct Found<'a> {
    /// The exports' roots (the part of the path above data/ or metadata/).
    roots: BTreeSet<String>,
    periods: BTreeMap<String, PeriodSeen<'a>>,
    /// Data files outside the layout.
    loose: Vec<&'a ObjectMeta>,
    /// A data file under a BILLING_PERIOD= folder that is not under data/ or metadata/.
    bare_partition: Option<String>,
}

/// A billing period with a data file or a manifest: its manifests.
#[derive(Default)]
struct PeriodSeen<'a> {
    manifests: Vec<&'a ObjectMeta>,
}

impl<'a> Found<'a> {
    fn add(&mut self, meta: &'a ObjectMeta, prefix: &Path, rel: &[&str]) {
        let name = rel.last().copied().unwrap_or_default();
        let layout = (0..rel.len().saturating_sub(2)).find_map(|i| {
            let kind = rel[i].to_ascii_lowercase();
            let is_kind = kind == "data" || kind == "metadata";
            billing_period(rel[i + 1])
                .filter(|_| is_kind)
                .map(|p| (i, kind, p))
        });
        let Some((i, kind, period)) = layout else {
            if is_data_file(name) {
                if self.bare_partition.is_none() && rel.iter().any(|p| billing_period(p).is_some())
                {
                    self.bare_partition = Some(meta.location.to_string());
                }
                self.loose.push(meta);
            }
            return;
        };
        let is_manifest =
            kind == "metadata" && name.to_ascii_lowercase().ends_with("manifest.json");
        let is_data = kind == "data" && is_data_file(name);
        if !(is_manifest || is_data) {
            return;
        }
        let root: Vec<&str> = prefix
            .as_ref()
            .split('/')
            .filter(|p| !p.is_empty())
            .chain(rel[..i].iter().copied())
            .collect();
        self.roots.insert(root.join("/"));
        let seen = self.periods.entry(period).or_default();
        if is_manifest {
            seen.manifests.push(meta);
        }
    }
}

/// `path` below `prefix`, as `a/b/c`.
fn relative<'p>(path: &'p Path, prefix: &Path) -> Option<&'p str> {
    let (path, prefix) = (path.as_ref(), prefix.as_ref());
    if prefix.is_empty() {
        return Some(path);
    }
    path.strip_prefix(prefix)?.strip_prefix('/')
}

/// `BILLING_PERIOD=YYYY-MM` (the key in any case) → `YYYY-MM`.
fn billing_period(part: &str) -> Option<String> {
    let (key, value) = part.split_once('=')?;
    if !key.eq_ignore_ascii_case("billing_period") {
        return None;
    }
    let b = value.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let month = value.get(5..7).and_then(|m| m.parse::<u8>().ok());
    (b.len() == 7 && digits(0..4) && b[4] == b'-' && digits(5..7) && matches!(month, Some(1..=12)))
        .then(|| value.to_owned())
}

/// A CSV, CSV.gz or Parquet file, by its name.
fn is_data_file(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    !name.starts_with('.')
        && !name.starts_with('_')
        && [".csv", ".csv.gz", ".parquet"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

/// The manifest's fields Nagare reads (others are ignored).
#[derive(serde::Deserialize)]
struct Manifest {
    #[serde(rename = "dataFiles")]
    data_files: Vec<String>,
}

async fn read_period(
    store: &dyn ObjectStore,
    root: &str,
    index: &HashMap<&str, &ObjectMeta>,
    period: String,
    seen: PeriodSeen<'_>,
) -> Result<PeriodFiles, String> {
    let waiting = |manifest: Option<String>| PeriodFiles {
        period: period.clone(),
        state: PeriodState::Waiting,
        version: String::new(),
        files: Vec::new(),
        manifest,
    };
    // Several manifests (one per execution, or an old one left over): the newest is the
    // period's latest delivery.
    let Some(meta) = seen
        .manifests
        .iter()
        .max_by(|a, b| {
            (a.last_modified, a.location.as_ref()).cmp(&(b.last_modified, b.location.as_ref()))
        })
        .copied()
    else {
        return Ok(waiting(None));
    };
    let manifest_path = meta.location.to_string();
    let bytes = fetch(store, &meta.location).await?;
    let parsed: Manifest = match serde_json::from_slice(&bytes) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(manifest = %manifest_path, error = %e, "not a Data Exports manifest (a JSON object with dataFiles); its period waits");
            return Ok(waiting(Some(manifest_path)));
        }
    };
    let mut files = Vec::with_capacity(parsed.data_files.len());
    let mut taken = BTreeSet::new();
    let mut missing = Vec::new();
    for uri in &parsed.data_files {
        match resolve(uri, root, index) {
            Some(m) if taken.insert(m.location.as_ref()) => files.push(ExportFile {
                path: m.location.clone(),
                size: m.size,
                etag: m.e_tag.clone(),
            }),
            Some(_) => {}
            None => missing.push(uri.as_str()),
        }
    }
    if !missing.is_empty() {
        tracing::warn!(manifest = %manifest_path, missing = ?missing, "the manifest names files that are not there; its period waits");
        return Ok(waiting(Some(manifest_path)));
    }
    let mut h = Sha256::new();
    h.update(b"manifest\0");
    h.update(manifest_path.as_bytes());
    h.update(b"\0");
    h.update(meta.e_tag.as_deref().unwrap_or("").as_bytes());
    h.update(b"\0");
    h.update(
        meta.last_modified
            .timestamp_nanos_opt()
            .unwrap_or(0)
            .to_be_bytes(),
    );
    h.update(Sha256::digest(&bytes));
    Ok(PeriodFiles {
        period,
        state: PeriodState::Ready,
        version: format!("{:x}", h.finalize()),
        files,
        manifest: Some(manifest_path),
    })
}

/// The listed object a manifest's entry names: an `s3://` URI (any bucket) or a key, mapped
/// from its `data/BILLING_PERIOD=…/` part onto this export's root; else the key as it is
/// (bucket-relative), or under the export's root.
fn resolve<'m>(
    uri: &str,
    root: &str,
    index: &HashMap<&str, &'m ObjectMeta>,
) -> Option<&'m ObjectMeta> {
    let uri = uri.trim();
    let key = match uri.get(..5) {
        Some(s) if s.eq_ignore_ascii_case("s3://") => uri[5..].split_once('/')?.1,
        _ => uri.trim_start_matches('/'),
    };
    let parts: Vec<&str> = key.split('/').collect();
    let join = |tail: &str| {
        if root.is_empty() {
            tail.to_owned()
        } else {
            format!("{root}/{tail}")
        }
    };
    let from_data = (0..parts.len().saturating_sub(2))
        .rev()
        .find(|&i| parts[i].eq_ignore_ascii_case("data") && billing_period(parts[i + 1]).is_some())
        .map(|i| join(&parts[i..].join("/")));
    [from_data, Some(key.to_owned()), Some(join(key))]
        .into_iter()
        .flatten()
        .find_map(|k| index.get(k.as_str()).copied())
}

/// Nothing under `prefix` as a folder: it may be one file.
async fn single_file(store: &dyn ObjectStore, prefix: &Path) -> Result<Listing, String> {
    let nothing = || {
        format!(
            "{}: no files there; check the location (the export's \
             folder, holding data/ and metadata/, a folder of CSV or Parquet files, or one file)",
            at(store, prefix)
        )
    };
    if prefix.as_ref().is_empty() {
        return Err(nothing());
    }
    match store.head(prefix).await {
        Ok(meta) if is_data_file(prefix.filename().unwrap_or_default()) => {
            loose(store, prefix, vec![&meta])
        }
        Ok(_) => Err(format!(
            "{}: not a CSV, CSV.gz or Parquet file",
            at(store, prefix)
        )),
        Err(object_store::Error::NotFound { .. }) => Err(nothing()),
        Err(e) => Err(failed(store, "reading", prefix, &e)),
    }
}

fn loose(
    store: &dyn ObjectStore,
    prefix: &Path,
    mut metas: Vec<&ObjectMeta>,
) -> Result<Listing, String> {
    if metas.is_empty() {
        return Err(format!(
            "{}: no CSV, CSV.gz or Parquet files, and no Data Exports \
             layout (data/BILLING_PERIOD=YYYY-MM/ with manifests under metadata/)",
            at(store, prefix)
        ));
    }
    metas.sort_by(|a, b| a.location.cmp(&b.location));
    let mut h = Sha256::new();
    for m in &metas {
        h.update(m.location.as_ref().as_bytes());
        h.update(b"\0");
        h.update(m.size.to_be_bytes());
        match &m.e_tag {
            Some(e) => h.update(e.as_bytes()),
            None => h.update(
                m.last_modified
                    .timestamp_nanos_opt()
                    .unwrap_or(0)
                    .to_be_bytes(),
            ),
        }
        h.update(b"\n");
    }
    Ok(Listing::Loose {
        files: metas
            .into_iter()
            .map(|m| ExportFile {
                path: m.location.clone(),
                size: m.size,
                etag: m.e_tag.clone(),
            })
            .collect(),
        version: format!("{:x}", h.finalize()),
    })
}

/// An object store error, with where and, for the usual S3 mistakes, what to change.
fn failed(store: &dyn ObjectStore, doing: &str, path: &Path, e: &object_store::Error) -> String {
    let text = e.to_string();
    let hint =
        if text.contains("PermanentRedirect") || text.contains("AuthorizationHeaderMalformed") {
            " (the bucket is in another region: set [cost.s3] region)"
        } else if text.contains("AccessDenied") || text.contains("Forbidden") {
            " (the credentials may not read it: allow s3:ListBucket on the bucket and \
         s3:GetObject under the prefix)"
        } else if text.contains("NoSuchBucket") {
            " (no such bucket: check the location's bucket name and [cost.s3] endpoint)"
        } else {
            ""
        };
    format!("{}: {doing}: {text}{hint}", at(store, path))
}

/// A store and a path in it, for messages: `AmazonS3(bucket) at "cur/focus"`.
fn at(store: &dyn ObjectStore, path: &Path) -> String {
    if path.as_ref().is_empty() {
        format!("{store}")
    } else {
        format!("{store} at {:?}", path.as_ref())
    }
}
