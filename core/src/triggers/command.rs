//! A runbook's command made from its argv template. Each template item gives exactly one
//! argument: `{{name}}` is replaced by the value of input `name`, as a literal, inside that one
//! argument; nothing is split on spaces, and no shell ever sees it. An item naming an input
//! that has no value (optional, unset, no default) is left out. The program (the first item)
//! takes no input, so no value can choose what runs.

use crate::api::InputField;
use std::collections::BTreeMap;

/// Why a template is refused (at configuration time).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CommandError {
    #[error("argv is empty; give the program and its arguments, like [\"du\", \"-sh\", \"{{{{path}}}}\"]")]
    Empty,
    #[error("argv[0] (`{0}`): the program cannot come from an input; name it literally")]
    ProgramFromInput(String),
    #[error("argv[{index}]: `{{{{{name}}}}}` names no parameter (they are: {known})")]
    UnknownInput {
        index: usize,
        name: String,
        known: String,
    },
    #[error("argv[{0}]: `{{{{` without its closing `}}}}`")]
    Unclosed(usize),
}

/// A template item cut into literal text and input names.
#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Text(&'a str),
    Input(&'a str),
}

fn pieces(item: &str, index: usize) -> Result<Vec<Piece<'_>>, CommandError> {
    let mut out = Vec::new();
    let mut rest = item;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or(CommandError::Unclosed(index))?;
        out.push(Piece::Input(after[..close].trim()));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// Checks a template against its inputs: not empty, a literal program, every `{{name}}` an
/// input.
pub fn check_template(argv: &[String], fields: &[InputField]) -> Result<(), CommandError> {
    let program = argv.first().ok_or(CommandError::Empty)?;
    if program.contains("{{") {
        return Err(CommandError::ProgramFromInput(program.clone()));
    }
    for (index, item) in argv.iter().enumerate() {
        for p in pieces(item, index)? {
            if let Piece::Input(name) = p {
                if !fields.iter().any(|f| f.name == name) {
                    return Err(CommandError::UnknownInput {
                        index,
                        name: name.to_owned(),
                        known: fields
                            .iter()
                            .map(|f| f.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
            }
        }
    }
    Ok(())
}

/// A value that is a whole argument and starts with `-`: the program would read it as an
/// option (`--output=…`), not as the value it stands for. The input's name, when one is.
pub fn option_like(argv: &[String], values: &BTreeMap<String, String>) -> Option<String> {
    argv.iter().skip(1).enumerate().find_map(|(i, item)| {
        let pieces = pieces(item, i + 1).ok()?;
        match pieces.as_slice() {
            [Piece::Input(name)] => values
                .get(*name)
                .filter(|v| v.starts_with('-'))
                .map(|_| (*name).to_owned()),
            _ => None,
        }
    })
}

/// The command: the template with each input's value put in its place. `values` are the
/// validated texts (`super::validate`); the template was checked with [`check_template`].
pub fn render(
    argv: &[String],
    values: &BTreeMap<String, String>,
) -> Result<Vec<String>, CommandError> {
    let mut out = Vec::with_capacity(argv.len());
    'items: for (index, item) in argv.iter().enumerate() {
        let mut arg = String::with_capacity(item.len());
        for p in pieces(item, index)? {
            match p {
                Piece::Text(t) => arg.push_str(t),
                Piece::Input(name) => match values.get(name) {
                    Some(v) => arg.push_str(v),
                    None => continue 'items,
                },
            }
        }
        out.push(arg);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::api::InputKind;

    fn argv(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    fn field(name: &str) -> InputField {
        InputField {
            name: name.into(),
            description: None,
            kind: InputKind::String,
            required: false,
            default: None,
            options: vec![],
            pattern: None,
            min: None,
            max: None,
            max_length: None,
        }
    }

    #[test]
    fn a_value_stays_one_literal_argument() {
        let t = argv(&[
            "curl",
            "-fsS",
            "--max-time={{timeout}}",
            "{{url}}",
            "-w",
            "%{http_code}",
        ]);
        let values = BTreeMap::from([
            ("url".to_owned(), "http://x/ ; rm -rf / $(id)".to_owned()),
            ("timeout".to_owned(), "5".to_owned()),
        ]);
        assert_eq!(
            render(&t, &values).unwrap(),
            argv(&[
                "curl",
                "-fsS",
                "--max-time=5",
                "http://x/ ; rm -rf / $(id)",
                "-w",
                "%{http_code}"
            ]),
            "single braces are literal; the value is one argument, spaces and all"
        );
    }

    #[test]
    fn a_whole_argument_that_looks_like_an_option_is_found() {
        let t = argv(&["du", "-sh", "{{path}}", "--label={{label}}"]);
        let v = |path: &str, label: &str| {
            BTreeMap::from([
                ("path".to_owned(), path.to_owned()),
                ("label".to_owned(), label.to_owned()),
            ])
        };
        assert_eq!(
            option_like(&t, &v("--files0-from=/etc/passwd", "x")),
            Some("path".into())
        );
        assert_eq!(
            option_like(&t, &v("/data", "-x")),
            None,
            "inside an argument it is the value"
        );
        assert_eq!(option_like(&t, &v("/data", "x")), None);
    }

    #[test]
    fn an_item_of_an_unset_input_is_left_out() {
        let t = argv(&["du", "-sh", "--exclude={{exclude}}", "{{path}}"]);
        let values = BTreeMap::from([("path".to_owned(), "/data".to_owned())]);
        assert_eq!(render(&t, &values).unwrap(), argv(&["du", "-sh", "/data"]));
    }

    #[test]
    fn templates_are_checked_against_their_inputs() {
        let fields = vec![field("path")];
        assert!(check_template(&argv(&["du", "{{path}}"]), &fields).is_ok());
        assert!(check_template(&argv(&["du", "{{ path }}"]), &fields).is_ok());
        assert_eq!(check_template(&[], &fields), Err(CommandError::Empty));
        assert_eq!(
            check_template(&argv(&["{{path}}"]), &fields),
            Err(CommandError::ProgramFromInput("{{path}}".into()))
        );
        assert_eq!(
            check_template(&argv(&["du", "{{paht}}"]), &fields)
                .unwrap_err()
                .to_string(),
            "argv[1]: `{{paht}}` names no parameter (they are: path)"
        );
        assert_eq!(
            check_template(&argv(&["du", "{{path"]), &fields),
            Err(CommandError::Unclosed(1))
        );
        assert!(CommandError::Empty.to_string().contains("{{path}}"));
    }
}
