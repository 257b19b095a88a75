//! SLO definitions read from a config directory, in the three formats people already write
//! them in, each read as it is: OpenSLO v1 (`apiVersion: openslo/v1`, `kind: SLO`), Sloth
//! (`version: prometheus/v1`) and Pyrra (`apiVersion: pyrra.dev/v1alpha1`,
//! `kind: ServiceLevelObjective`). The format is detected per YAML document. A bad file or
//! document is a [`Problem`] naming the file, the YAML path and how to fix it; the other SLOs
//! still load. See [`super::openslo`], [`super::sloth`] and [`super::pyrra`] for what each
//! format supports.

use nagare_core::slo::{Period, SloDef};
use serde::Deserialize;
use serde_norway::Value;
use std::path::Path;

use super::{openslo, pyrra, sloth};

/// The SLOs of a directory, and what could not be read.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub slos: Vec<SloDef>,
    pub problems: Vec<Problem>,
}

/// Something wrong in a definition file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The file's name.
    pub file: String,
    /// The YAML path (`spec.objectives[0].target`); empty for the whole file or document.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.path, self.message)
        }
    }
}

/// Every `*.yaml`/`*.yml` file of `dir` (sorted by name), each possibly holding several YAML
/// documents (`---`): a bad file or document is a Problem naming the file, the YAML path and
/// the problem; the other SLOs still load. Duplicate ids are a Problem on the later one.
pub fn load_dir(dir: &Path) -> Loaded {
    let mut problems = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(Problem {
                file: dir.display().to_string(),
                path: String::new(),
                message: format!(
                    "cannot read the SLO directory ({e}); check that it exists and is readable"
                ),
            });
            return Loaded {
                slos: Vec::new(),
                problems,
            };
        }
    };
    let mut files: Vec<(String, std::path::PathBuf)> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| x == "yaml" || x == "yml")
        })
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, p)
        })
        .collect();
    files.sort();
    let mut found = Vec::new();
    for (name, path) in files {
        match std::fs::read_to_string(&path) {
            Ok(text) => found.extend(read_text(&name, &text, &mut problems)),
            Err(e) => problems.push(Problem {
                file: name,
                path: String::new(),
                message: format!("cannot read the file ({e}); make it a readable UTF-8 file"),
            }),
        }
    }
    let slos = dedup(found, &mut problems);
    Loaded { slos, problems }
}

/// One file's text (`name` for messages).
pub fn load_text(name: &str, text: &str) -> (Vec<SloDef>, Vec<Problem>) {
    let mut problems = Vec::new();
    let found = read_text(name, text, &mut problems);
    let slos = dedup(found, &mut problems);
    (slos, problems)
}

/// An SLO read, with the file and YAML path of its id (for duplicates).
pub(super) struct Found {
    pub def: SloDef,
    pub file: String,
    pub id_path: String,
}

/// A problem inside a document: its YAML path and message.
pub(super) type Bad = (String, String);

fn read_text(name: &str, text: &str, problems: &mut Vec<Problem>) -> Vec<Found> {
    let mut docs = Vec::new();
    for doc in serde_norway::Deserializer::from_str(text) {
        match Value::deserialize(doc) {
            Ok(v) => docs.push(v),
            Err(e) => {
                problems.push(Problem {
                    file: name.to_string(),
                    path: String::new(),
                    message: format!(
                        "invalid YAML in document {} ({e}); fix the syntax there",
                        docs.len() + 1
                    ),
                });
                break;
            }
        }
    }
    let many = docs.len() > 1;
    let mut found = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        for r in read_doc(name, doc) {
            match r {
                Ok(f) => found.push(f),
                Err((path, message)) => problems.push(Problem {
                    file: name.to_string(),
                    path,
                    message: if many {
                        format!("in document {}: {message}", i + 1)
                    } else {
                        message
                    },
                }),
            }
        }
    }
    found
}

fn read_doc(file: &str, doc: &Value) -> Vec<Result<Found, Bad>> {
    const FORMATS: &str = "an SLO file is OpenSLO (apiVersion: openslo/v1, kind: SLO), Pyrra \
        (apiVersion: pyrra.dev/v1alpha1, kind: ServiceLevelObjective) or Sloth \
        (version: prometheus/v1)";
    match doc {
        Value::Null => return Vec::new(),
        Value::Mapping(_) => {}
        _ => return vec![bad("", format!("not a YAML mapping; {FORMATS}"))],
    }
    let api = doc.get("apiVersion").and_then(Value::as_str);
    let version = doc.get("version").and_then(Value::as_str);
    match (api, version) {
        (Some("openslo/v1"), _) => openslo::read(file, doc).into_iter().collect(),
        (Some(a), _) if a.starts_with("openslo/") => vec![bad(
            "apiVersion",
            format!("OpenSLO {a} is not supported; rewrite it as openslo/v1"),
        )],
        (Some("pyrra.dev/v1alpha1"), _) => pyrra::read(file, doc).into_iter().collect(),
        (Some(a), _) => vec![bad(
            "apiVersion",
            format!("{a} is not an SLO format Nagare reads; {FORMATS}"),
        )],
        (None, Some("prometheus/v1")) => sloth::read(file, doc),
        (None, Some(v)) => vec![bad(
            "version",
            format!("version {v} is not supported; Sloth files have version: prometheus/v1"),
        )],
        (None, None) => vec![bad("", format!("no apiVersion or version; {FORMATS}"))],
    }
}

/// Keeps the first SLO of each id; a later one is a Problem.
fn dedup(found: Vec<Found>, problems: &mut Vec<Problem>) -> Vec<SloDef> {
    let mut seen: std::collections::HashMap<String, String> = Default::default();
    let mut out = Vec::new();
    for f in found {
        if let Some(first) = seen.get(&f.def.id) {
            problems.push(Problem {
                file: f.file,
                path: f.id_path,
                message: format!(
                    "duplicate SLO id {:?}, already defined in {first}; give it another name",
                    f.def.id
                ),
            });
            continue;
        }
        seen.insert(f.def.id.clone(), f.file.clone());
        out.push(f.def);
    }
    out
}

// ---- helpers shared by the formats ----

pub(super) fn bad<T>(path: &str, message: impl Into<String>) -> Result<T, Bad> {
    Err((path.to_string(), message.into()))
}

/// `path.key` (or `key` at the top).
pub(super) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// `v[key]`, required.
pub(super) fn req<'a>(v: &'a Value, path: &str, key: &str) -> Result<&'a Value, Bad> {
    match v.get(key) {
        Some(x) if !x.is_null() => Ok(x),
        _ => bad(
            &join(path, key),
            format!("missing; add {key}: under {}", at(path)),
        ),
    }
}

fn at(path: &str) -> String {
    if path.is_empty() {
        "the top of the document".to_string()
    } else {
        path.to_string()
    }
}

/// `v[key]` as text (a string or a number), if present.
pub(super) fn text(v: &Value, path: &str, key: &str) -> Result<Option<String>, Bad> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => bad(&join(path, key), "must be a string; write a plain value"),
    }
}

/// `v[key]` as text, required.
pub(super) fn req_text(v: &Value, path: &str, key: &str) -> Result<String, Bad> {
    match text(v, path, key)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => bad(
            &join(path, key),
            format!("missing or empty; add {key}: under {}", at(path)),
        ),
    }
}

/// `v[key]` as a number (a YAML number or a numeric string), if present.
pub(super) fn number(v: &Value, path: &str, key: &str) -> Result<Option<f64>, Bad> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(x) => Ok(Some(x)),
            Err(_) => bad(
                &join(path, key),
                format!("{s:?} is not a number; write a number such as 99.9"),
            ),
        },
        Some(_) => bad(&join(path, key), "must be a number, such as 99.9"),
    }
}

/// A description: `None` when absent or empty.
pub(super) fn description(v: &Value, path: &str) -> Result<Option<String>, Bad> {
    Ok(text(v, path, "description")?.filter(|d| !d.trim().is_empty()))
}

/// A percentage (`99.9`) as a share (`0.999`).
pub(super) fn percent(p: f64, path: &str) -> Result<f64, Bad> {
    if p > 0.0 && p < 100.0 {
        Ok(p / 100.0)
    } else {
        bad(
            path,
            format!("{p} is not a percentage between 0 and 100 (exclusive); write e.g. 99.9"),
        )
    }
}

/// A rolling window's length in ms: a whole number and one unit of `s m h d w`.
pub(super) fn rolling_ms(s: &str, path: &str) -> Result<i64, Bad> {
    let s = s.trim();
    let digits = s.trim_end_matches(|c: char| !c.is_ascii_digit());
    let unit = &s[digits.len()..];
    let unit_ms: i64 = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        "M" | "Q" | "Y" => {
            return bad(
                path,
                format!(
                    "{s:?} is a calendar period; a rolling window is s, m, h, d or w (e.g. 30d), \
                     or make the window a calendar one"
                ),
            )
        }
        _ => {
            return bad(
                path,
                format!(
                    "{s:?} is not a duration Nagare reads; write a whole number and one unit of \
                     s, m, h, d, w (e.g. 28d, 4w, 90m; compounds such as 1h30m are not supported)"
                ),
            )
        }
    };
    match digits
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_ms))
    {
        Some(ms) if ms > 0 && digits.chars().all(|c| c.is_ascii_digit()) => Ok(ms),
        _ => bad(
            path,
            format!("{s:?} is not a positive duration; write e.g. 28d or 4w"),
        ),
    }
}

/// A calendar period: `1M` is a month, `1Q` (or `3M`) a quarter.
pub(super) fn calendar(s: &str, path: &str) -> Result<Period, Bad> {
    match s.trim() {
        "1M" => Ok(Period::Month),
        "1Q" | "3M" => Ok(Period::Quarter),
        other => bad(
            path,
            format!(
                "calendar windows of {other:?} are not supported; use 1M (a month) or 1Q (a \
                 quarter), or make it a rolling window"
            ),
        ),
    }
}

/// Window placeholders (`{{.window}}`, `{{ .window }}`, `$__window`) as `{{window}}`.
pub(super) fn placeholders(q: &str) -> String {
    q.replace("{{ .window }}", "{{window}}")
        .replace("{{.window}}", "{{window}}")
        .replace("$__window", "{{window}}")
}

#[cfg(test)]
pub(super) mod testing {
    #![allow(clippy::unwrap_used)]
    use super::*;

    pub(crate) const DAY: i64 = 86_400_000;

    pub(crate) fn one(name: &str, text: &str) -> SloDef {
        let (slos, problems) = load_text(name, text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(slos.len(), 1, "{slos:?}");
        slos.into_iter().next().unwrap()
    }

    pub(crate) fn problem(text: &str) -> Problem {
        let (slos, problems) = load_text("x.yaml", text);
        assert!(slos.is_empty(), "{slos:?}");
        assert_eq!(problems.len(), 1, "{problems:?}");
        problems.into_iter().next().unwrap()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_syntax_error_keeps_the_documents_before_it() {
        let pyrra = include_str!("../../tests/fixtures/slo/pyrra-coredns-response-errors.yaml");
        let (slos, problems) = load_text("m.yaml", &format!("{pyrra}---\nspec: [unclosed\n"));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("document 2"), "{problems:?}");
        assert_eq!(slos.len(), 1);
        let p = &problems[0];
        assert_eq!(p.to_string(), format!("m.yaml: {}", p.message));
    }

    #[test]
    fn percent_conversions() {
        assert!((percent(99.9, "").unwrap() - 0.999).abs() < 1e-12);
        assert!((percent(99.95, "").unwrap() - 0.9995).abs() < 1e-12);
        assert!((percent(99.5, "").unwrap() - 0.995).abs() < 1e-12);
        assert!(percent(0.0, "").is_err());
        assert!(percent(100.0, "").is_err());
    }

    #[test]
    fn a_directory_with_good_bad_and_duplicate_files() {
        let dir = tempfile::tempdir().unwrap();
        let sloth = include_str!("../../tests/fixtures/slo/sloth-getting-started.yml");
        let pyrra = include_str!("../../tests/fixtures/slo/pyrra-coredns-response-errors.yaml");
        // a.yaml: two documents, one good, one with a bad target.
        let bad_doc = pyrra
            .replace("coredns-response-errors", "other")
            .replace("\"99.99\"", "\"abc\"");
        std::fs::write(dir.path().join("a.yaml"), format!("{pyrra}---\n{bad_doc}")).unwrap();
        std::fs::write(dir.path().join("b.yml"), sloth).unwrap();
        // c.yaml: the same id again.
        std::fs::write(dir.path().join("c.yaml"), pyrra).unwrap();
        std::fs::write(dir.path().join("d.yaml"), "slos: [unclosed").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not yaml: [").unwrap();
        let loaded = load_dir(dir.path());
        let ids: Vec<_> = loaded.slos.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            ["coredns-response-errors", "myservice-requests-availability"]
        );
        let p = &loaded.problems;
        assert_eq!(p.len(), 3, "{p:?}");
        assert_eq!(
            (p[0].file.as_str(), p[0].path.as_str()),
            ("a.yaml", "spec.target")
        );
        assert!(
            p[0].message.starts_with("in document 2:"),
            "{}",
            p[0].message
        );
        assert_eq!((p[1].file.as_str(), p[1].path.as_str()), ("d.yaml", ""));
        assert!(p[1].message.contains("invalid YAML"));
        assert_eq!(
            (p[2].file.as_str(), p[2].path.as_str()),
            ("c.yaml", "metadata.name")
        );
        assert!(p[2].message.contains("a.yaml"), "{}", p[2].message);
        assert_eq!(loaded.slos[0].origin, "pyrra:a.yaml");
        let missing = load_dir(&dir.path().join("nope"));
        assert_eq!(missing.problems.len(), 1);
    }
}
