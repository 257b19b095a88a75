//! A form's values checked against its inputs: each value is turned into the one text it
//! stands for (`true`, `3`, `staging`), or refused with the input's name and what it accepts.
//! Nothing is ever evaluated: a value is a literal, whatever characters it holds.

use crate::api::{InputField, InputKind};
use serde_json::Value;
use std::collections::BTreeMap;

/// The longest value a `string` input accepts when it names no `max_length`.
pub const DEFAULT_MAX_LENGTH: u32 = 4096;

/// Why a form's values are refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InputError {
    #[error("inputs.{0}: this target has no such input (it takes {1})")]
    Unknown(String, String),
    #[error("inputs.{0}: required, and no default")]
    Missing(String),
    #[error("inputs.{name}: {problem}")]
    Invalid { name: String, problem: String },
    #[error("inputs.{name}: the input's pattern `{pattern}` is not a valid regular expression: {problem}")]
    BadPattern {
        name: String,
        pattern: String,
        problem: String,
    },
}

fn invalid(field: &InputField, problem: impl Into<String>) -> InputError {
    InputError::Invalid {
        name: field.name.clone(),
        problem: problem.into(),
    }
}

/// The text a JSON value gives: strings as they are, numbers and booleans as written.
fn text_of(field: &InputField, v: &Value) -> Result<String, InputError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Null => Err(invalid(
            field,
            "null is not a value; leave the input out for its default",
        )),
        Value::Array(_) | Value::Object(_) => {
            Err(invalid(field, "expected a string, a number or a boolean"))
        }
    }
}

fn check_number(field: &InputField, text: &str, whole: bool) -> Result<String, InputError> {
    let t = text.trim();
    let n: f64 = if whole {
        t.parse::<i64>().map(|n| n as f64).map_err(|_| {
            invalid(
                field,
                format!("`{}` is not a whole number", crate::text::printable(t, 40)),
            )
        })?
    } else {
        t.parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| {
                invalid(
                    field,
                    format!("`{}` is not a number", crate::text::printable(t, 40)),
                )
            })?
    };
    if let Some(min) = field.min.filter(|m| n < *m) {
        return Err(invalid(field, format!("{t} is below the minimum, {min}")));
    }
    if let Some(max) = field.max.filter(|m| n > *m) {
        return Err(invalid(field, format!("{t} is above the maximum, {max}")));
    }
    Ok(t.to_owned())
}

/// One value checked against its input; the text passed on.
pub fn check(field: &InputField, v: &Value) -> Result<String, InputError> {
    let text = text_of(field, v)?;
    match field.kind {
        InputKind::String | InputKind::Environment => {
            if text.contains('\0') {
                return Err(invalid(field, "a NUL character cannot be passed"));
            }
            let max = field.max_length.unwrap_or(DEFAULT_MAX_LENGTH) as usize;
            let chars = text.chars().count();
            if chars > max {
                return Err(invalid(field, format!("{chars} characters; at most {max}")));
            }
            if let Some(p) = &field.pattern {
                let re = whole_match(p).map_err(|e| InputError::BadPattern {
                    name: field.name.clone(),
                    pattern: p.clone(),
                    problem: e.to_string(),
                })?;
                if !re.is_match(&text) {
                    return Err(invalid(
                        field,
                        format!(
                            "`{}` does not match `{p}`",
                            crate::text::printable(&text, 60)
                        ),
                    ));
                }
            }
            Ok(text)
        }
        InputKind::Choice => {
            if field.options.contains(&text) {
                Ok(text)
            } else {
                Err(invalid(
                    field,
                    format!(
                        "`{}` is not one of {}",
                        crate::text::printable(&text, 60),
                        field.options.join(", ")
                    ),
                ))
            }
        }
        InputKind::Boolean => match text.as_str() {
            "true" | "false" => Ok(text),
            _ => Err(invalid(
                field,
                format!(
                    "`{}` is not true or false",
                    crate::text::printable(&text, 40)
                ),
            )),
        },
        InputKind::Number => check_number(field, &text, false),
        InputKind::Integer => check_number(field, &text, true),
    }
}

/// A pattern anchored to match a whole value.
pub fn whole_match(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
}

/// A form's values checked against `fields`: every value names an input, every required input
/// without a default has a value; defaults fill the rest. The texts by input name.
pub fn validate(
    fields: &[InputField],
    values: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, String>, InputError> {
    if let Some(unknown) = values
        .keys()
        .find(|k| !fields.iter().any(|f| &f.name == *k))
    {
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        return Err(InputError::Unknown(
            crate::text::printable(unknown, 60),
            if names.is_empty() {
                "no inputs".to_owned()
            } else {
                names.join(", ")
            },
        ));
    }
    let mut out = BTreeMap::new();
    for f in fields {
        let text = match (values.get(&f.name), &f.default) {
            (Some(v), _) => check(f, v)?,
            (None, Some(d)) => check(f, &Value::String(d.clone()))?,
            (None, None) if f.required => return Err(InputError::Missing(f.name.clone())),
            (None, None) => match f.kind {
                // GitHub sends an unset boolean as false; so does a runbook.
                InputKind::Boolean => "false".to_owned(),
                _ => continue,
            },
        };
        out.insert(f.name.clone(), text);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn field(name: &str, kind: InputKind) -> InputField {
        InputField {
            name: name.into(),
            description: None,
            kind,
            required: false,
            default: None,
            options: vec![],
            pattern: None,
            min: None,
            max: None,
            max_length: None,
        }
    }

    fn values(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn hostile_strings_are_literals_or_refused_by_their_pattern() {
        let free = field("note", InputKind::String);
        for s in ["x; rm -rf /", "$(id)", "`id`", "../../etc/passwd", "a\nb"] {
            assert_eq!(check(&free, &json!(s)).unwrap(), s, "kept literally");
        }
        let mut host = field("host", InputKind::String);
        host.pattern = Some("[a-z0-9.-]+".into());
        for s in ["x; rm -rf /", "$(id)", "../../etc/passwd", "a.b\nc"] {
            let e = check(&host, &json!(s)).unwrap_err().to_string();
            assert!(
                e.starts_with("inputs.host: ") && e.contains("does not match"),
                "{e}"
            );
        }
        assert_eq!(
            check(&host, &json!("api.internal")).unwrap(),
            "api.internal"
        );
        // The pattern matches the whole value: alternation cannot leak past the anchors.
        host.pattern = Some("a|b.*".into());
        assert!(check(&host, &json!("xa")).is_err());
        assert!(check(&host, &json!("bxyz")).is_ok());
    }

    #[test]
    fn long_values_and_nul_are_refused() {
        let free = field("note", InputKind::String);
        let mb = "a".repeat(1 << 20);
        let e = check(&free, &json!(mb)).unwrap_err().to_string();
        assert_eq!(e, "inputs.note: 1048576 characters; at most 4096");
        assert!(check(&free, &json!("a\0b")).is_err());
    }

    #[test]
    fn numbers_integers_booleans_and_choices() {
        let mut n = field("retries", InputKind::Integer);
        n.min = Some(1.0);
        n.max = Some(5.0);
        assert_eq!(check(&n, &json!(3)).unwrap(), "3");
        assert_eq!(check(&n, &json!("4")).unwrap(), "4");
        assert!(check(&n, &json!(0))
            .unwrap_err()
            .to_string()
            .contains("below the minimum, 1"));
        assert!(check(&n, &json!(6))
            .unwrap_err()
            .to_string()
            .contains("above the maximum, 5"));
        assert!(check(&n, &json!("2.5")).is_err());
        assert!(check(&n, &json!("3; id")).is_err());
        let f = field("ratio", InputKind::Number);
        assert_eq!(check(&f, &json!(2.5)).unwrap(), "2.5");
        assert!(check(&f, &json!("NaN")).is_err());
        assert!(check(&f, &json!("inf")).is_err());
        let b = field("dry_run", InputKind::Boolean);
        assert_eq!(check(&b, &json!(true)).unwrap(), "true");
        assert_eq!(check(&b, &json!("false")).unwrap(), "false");
        assert!(check(&b, &json!("yes")).is_err());
        let mut c = field("level", InputKind::Choice);
        c.options = vec!["info".into(), "debug".into()];
        assert_eq!(check(&c, &json!("debug")).unwrap(), "debug");
        assert_eq!(
            check(&c, &json!("trace")).unwrap_err().to_string(),
            "inputs.level: `trace` is not one of info, debug"
        );
        assert!(check(&c, &json!(["info"])).is_err());
        assert!(check(&c, &json!(null)).is_err());
    }

    #[test]
    fn a_form_fills_defaults_and_names_unknown_and_missing_inputs() {
        let mut url = field("url", InputKind::String);
        url.required = true;
        let mut retries = field("retries", InputKind::Integer);
        retries.default = Some("2".into());
        let dry = field("dry_run", InputKind::Boolean);
        let note = field("note", InputKind::String);
        let fields = vec![url, retries, dry, note];
        let got = validate(&fields, &values(json!({"url": "http://127.0.0.1/"}))).unwrap();
        assert_eq!(
            got,
            BTreeMap::from([
                ("url".to_owned(), "http://127.0.0.1/".to_owned()),
                ("retries".to_owned(), "2".to_owned()),
                ("dry_run".to_owned(), "false".to_owned()),
            ]),
            "the unset optional string is left out"
        );
        assert_eq!(
            validate(&fields, &values(json!({}))).unwrap_err(),
            InputError::Missing("url".into())
        );
        assert_eq!(
            validate(&fields, &values(json!({"url": "x", "bogus": 1})))
                .unwrap_err()
                .to_string(),
            "inputs.bogus: this target has no such input (it takes url, retries, dry_run, note)"
        );
    }

    #[test]
    fn a_bad_pattern_is_named() {
        let mut f = field("x", InputKind::String);
        f.pattern = Some("(".into());
        assert!(matches!(
            check(&f, &json!("a")),
            Err(InputError::BadPattern { .. })
        ));
    }
}
