//! A GitHub Actions workflow file's `workflow_dispatch` inputs, read as the form a portal user
//! fills in before starting the workflow.
//!
//! GitHub's rules, checked here so a form that cannot be sent is explained before anyone
//! fills it in: the workflow must have a `workflow_dispatch` trigger (in any of the forms
//! `on: workflow_dispatch`, `on: [push, workflow_dispatch]`, `on: {workflow_dispatch: …}`);
//! at most 25 inputs; each input's `type` is `string` (the default), `choice` (with its
//! `options`, the default among them), `boolean`, `number` or `environment`. The inputs keep
//! the file's order.

use nagare_core::api::{InputField, InputKind};
use serde_norway::{Mapping, Value};

/// GitHub's limit on a workflow's `workflow_dispatch` inputs.
pub const MAX_INPUTS: usize = 25;

/// Why a workflow's inputs cannot be read: what, where (the YAML path), and how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WorkflowError {
    #[error("the workflow file is not valid YAML: {message}; fix its syntax")]
    NotYaml { message: String },
    #[error(
        "the workflow has no `workflow_dispatch` trigger ({found}); add `on: workflow_dispatch` to run it from Nagare"
    )]
    NoDispatch {
        /// What its `on:` holds instead (`on: push, pull_request`, or `no on: key`).
        found: String,
    },
    #[error(
        "on.workflow_dispatch.inputs: {count} inputs, more than GitHub's limit of {MAX_INPUTS}; remove or combine some of them"
    )]
    TooManyInputs { count: usize },
    #[error(
        "{path}: unknown input type `{kind}`; use one of string, choice, boolean, number or environment"
    )]
    UnknownType { path: String, kind: String },
    #[error(
        "{path}: the `choice` input `{input}` has no options; list its accepted values under `options:`"
    )]
    ChoiceWithoutOptions { path: String, input: String },
    #[error(
        "{path}: the default `{default}` of `{input}` is not one of its options ({}); make it one of them or add it to `options`",
        options.join(", ")
    )]
    DefaultNotAnOption {
        path: String,
        input: String,
        default: String,
        options: Vec<String>,
    },
    /// Any other shape GitHub would refuse (inputs that are not a mapping, a list as a
    /// default…).
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// The `workflow_dispatch` inputs of the workflow file `yaml`, in the file's order.
pub fn dispatch_inputs(yaml: &str) -> Result<Vec<InputField>, WorkflowError> {
    let mut doc: Value = serde_norway::from_str(yaml).map_err(|e| WorkflowError::NotYaml {
        message: e.to_string(),
    })?;
    doc.apply_merge().map_err(|e| WorkflowError::NotYaml {
        message: e.to_string(),
    })?;
    let Some(root) = doc.as_mapping() else {
        return Err(WorkflowError::Invalid {
            path: "(top level)".into(),
            message: "a workflow file is a mapping (`name:`, `on:`, `jobs:`); this one is not"
                .into(),
        });
    };
    // YAML 1.2 reads `on` as a string; a YAML 1.1 writer may have left it as `true`.
    let on = root
        .get("on")
        .or_else(|| root.get(Value::Bool(true)))
        .ok_or_else(|| WorkflowError::NoDispatch {
            found: "no `on:` key".into(),
        })?;
    let dispatch = match on {
        Value::String(event) if event == "workflow_dispatch" => return Ok(Vec::new()),
        Value::Sequence(events) => {
            if events
                .iter()
                .any(|e| e.as_str() == Some("workflow_dispatch"))
            {
                return Ok(Vec::new());
            }
            return Err(no_dispatch(on));
        }
        Value::Mapping(events) => match events.get("workflow_dispatch") {
            Some(d) => d,
            None => return Err(no_dispatch(on)),
        },
        _ => return Err(no_dispatch(on)),
    };
    let inputs = match dispatch {
        Value::Null => return Ok(Vec::new()),
        Value::Mapping(d) => match d.get("inputs") {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Mapping(inputs)) => inputs,
            Some(_) => {
                return Err(invalid(
                    "on.workflow_dispatch.inputs",
                    "must be a mapping of input names to their settings",
                ))
            }
        },
        _ => {
            return Err(invalid(
                "on.workflow_dispatch",
                "must be empty or a mapping with `inputs:`",
            ))
        }
    };
    if inputs.len() > MAX_INPUTS {
        return Err(WorkflowError::TooManyInputs {
            count: inputs.len(),
        });
    }
    inputs
        .iter()
        .map(|(name, spec)| {
            let name = scalar_text(name).ok_or_else(|| {
                invalid(
                    "on.workflow_dispatch.inputs",
                    "an input's name must be plain text",
                )
            })?;
            input(name, spec)
        })
        .collect()
}

fn invalid(path: impl Into<String>, message: impl Into<String>) -> WorkflowError {
    WorkflowError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

/// The error for an `on:` without `workflow_dispatch`, naming the events it has.
fn no_dispatch(on: &Value) -> WorkflowError {
    let events: Vec<String> = match on {
        Value::String(e) => vec![e.clone()],
        Value::Sequence(es) => es.iter().filter_map(scalar_text).collect(),
        Value::Mapping(m) => m.keys().filter_map(scalar_text).collect(),
        _ => Vec::new(),
    };
    WorkflowError::NoDispatch {
        found: if events.is_empty() {
            "`on:` names no event".into()
        } else {
            format!("on: {}", events.join(", "))
        },
    }
}

/// A scalar as text: strings as they are, booleans and numbers as YAML writes them.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One input's field, from its settings.
fn input(name: String, spec: &Value) -> Result<InputField, WorkflowError> {
    let path = format!("on.workflow_dispatch.inputs.{name}");
    let empty = Mapping::new();
    let spec = match spec {
        Value::Null => &empty,
        Value::Mapping(m) => m,
        _ => {
            return Err(invalid(
                path,
                "an input's settings must be a mapping (`description:`, `type:`, `default:`…)",
            ))
        }
    };
    let description = match spec.get("description") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            scalar_text(v).ok_or_else(|| invalid(format!("{path}.description"), "must be text"))?,
        ),
    };
    let required = match spec.get("required") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(_) => {
            return Err(invalid(
                format!("{path}.required"),
                "must be `true` or `false`",
            ))
        }
    };
    let default = match spec.get("default") {
        None | Some(Value::Null) => None,
        Some(v) => Some(scalar_text(v).ok_or_else(|| {
            invalid(
                format!("{path}.default"),
                "must be a single value (text, a number or a boolean), not a list or a mapping",
            )
        })?),
    };
    let kind = match spec.get("type") {
        None | Some(Value::Null) => InputKind::String,
        Some(Value::String(t)) => match t.as_str() {
            "string" => InputKind::String,
            "choice" => InputKind::Choice,
            "boolean" => InputKind::Boolean,
            "number" => InputKind::Number,
            "environment" => InputKind::Environment,
            _ => {
                return Err(WorkflowError::UnknownType {
                    path: format!("{path}.type"),
                    kind: t.clone(),
                })
            }
        },
        Some(other) => {
            return Err(WorkflowError::UnknownType {
                path: format!("{path}.type"),
                kind: scalar_text(other).unwrap_or_else(|| "(not text)".into()),
            })
        }
    };
    let mut options = Vec::new();
    if kind == InputKind::Choice {
        options = match spec.get("options") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Sequence(items)) => items
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    scalar_text(o).ok_or_else(|| {
                        invalid(
                            format!("{path}.options[{i}]"),
                            "an option must be a single value",
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(invalid(
                    format!("{path}.options"),
                    "must be a list of the accepted values",
                ))
            }
        };
        if options.is_empty() {
            return Err(WorkflowError::ChoiceWithoutOptions { path, input: name });
        }
        if let Some(d) = &default {
            if !options.contains(d) {
                return Err(WorkflowError::DefaultNotAnOption {
                    path: format!("{path}.default"),
                    input: name,
                    default: d.clone(),
                    options,
                });
            }
        }
    }
    Ok(InputField {
        name,
        description,
        kind,
        required,
        default,
        options,
        pattern: None,
        min: None,
        max: None,
        max_length: None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const DEPLOY: &str = r#"
name: Deploy
run-name: Deploy ${{ inputs.environment }} by @${{ github.actor }}

on:
  push:
    branches: [main]
  workflow_dispatch:
    inputs:
      environment:
        description: Where to deploy
        type: environment
        required: true
      log_level:
        description: 'Log level'
        required: true
        default: warning
        type: choice
        options:
          - info
          - warning
          - debug
      dry_run:
        type: boolean
        default: false
      replicas:
        description: How many
        type: number
        default: 3
      version:
        description: "The tag to deploy (empty: the branch head)"

permissions:
  contents: read

jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: ${{ inputs.environment }}
    steps:
      - uses: actions/checkout@v4
      - run: ./deploy.sh --level "${{ inputs.log_level }}"
"#;

    #[test]
    fn a_deploy_workflow_s_inputs_keep_their_order_types_and_defaults() {
        let inputs = dispatch_inputs(DEPLOY).unwrap();
        let names: Vec<_> = inputs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            ["environment", "log_level", "dry_run", "replicas", "version"]
        );
        let env = &inputs[0];
        assert_eq!(env.kind, InputKind::Environment);
        assert!(env.required);
        assert_eq!(env.description.as_deref(), Some("Where to deploy"));
        assert_eq!(env.default, None);
        let level = &inputs[1];
        assert_eq!(level.kind, InputKind::Choice);
        assert_eq!(level.options, ["info", "warning", "debug"]);
        assert_eq!(level.default.as_deref(), Some("warning"));
        assert_eq!(inputs[2].kind, InputKind::Boolean);
        assert_eq!(inputs[2].default.as_deref(), Some("false"));
        assert!(!inputs[2].required);
        assert_eq!(inputs[3].kind, InputKind::Number);
        assert_eq!(inputs[3].default.as_deref(), Some("3"));
        assert_eq!(inputs[4].kind, InputKind::String, "string is the default");
        assert_eq!(
            inputs[4].description.as_deref(),
            Some("The tag to deploy (empty: the branch head)")
        );
        assert!(inputs[4].options.is_empty());
    }

    #[test]
    fn every_form_of_the_trigger_is_read() {
        for yaml in [
            "on: workflow_dispatch\njobs: {}\n",
            "on: [push, workflow_dispatch]\n",
            "on:\n  - pull_request\n  - workflow_dispatch\n",
            "on:\n  workflow_dispatch:\n  push:\n    branches: [main]\n",
            "on: {workflow_dispatch: null}\n",
            "on:\n  workflow_dispatch: {}\n",
            "on:\n  workflow_dispatch:\n    inputs:\n",
            "\"on\": workflow_dispatch\n",
        ] {
            assert_eq!(dispatch_inputs(yaml), Ok(Vec::new()), "{yaml}");
        }
        let one =
            dispatch_inputs("on: {workflow_dispatch: {inputs: {name: {default: 1.5}}}}").unwrap();
        assert_eq!(one[0].name, "name");
        assert_eq!(one[0].default.as_deref(), Some("1.5"));
        // A YAML 1.1 writer's `true:` for `on:`.
        let yaml11 =
            "true:\n  workflow_dispatch:\n    inputs:\n      x: {type: boolean, default: true}\n";
        assert_eq!(
            dispatch_inputs(yaml11).unwrap()[0].default.as_deref(),
            Some("true")
        );
    }

    #[test]
    fn a_workflow_without_the_trigger_says_how_to_add_it() {
        let e = dispatch_inputs("name: CI\non:\n  push:\n  pull_request:\njobs: {}\n").unwrap_err();
        assert_eq!(
            e,
            WorkflowError::NoDispatch {
                found: "on: push, pull_request".into()
            }
        );
        assert!(e.to_string().contains("add `on: workflow_dispatch`"), "{e}");
        let e = dispatch_inputs("on: [push]\n").unwrap_err();
        assert!(e.to_string().contains("on: push"), "{e}");
        let e = dispatch_inputs("name: x\njobs: {}\n").unwrap_err();
        assert!(e.to_string().contains("no `on:` key"), "{e}");
    }

    #[test]
    fn text_that_is_not_yaml_is_refused_with_its_place() {
        let e = dispatch_inputs("on:\n  workflow_dispatch:\n    inputs: [unclosed\n").unwrap_err();
        assert!(matches!(e, WorkflowError::NotYaml { .. }), "{e:?}");
        assert!(e.to_string().contains("line"), "{e}");
        let e = dispatch_inputs("- just\n- a list\n").unwrap_err();
        assert!(matches!(e, WorkflowError::Invalid { .. }), "{e:?}");
    }

    #[test]
    fn more_than_25_inputs_are_refused() {
        let mut yaml = String::from("on:\n  workflow_dispatch:\n    inputs:\n");
        for i in 0..26 {
            yaml.push_str(&format!(
                "      input_{i}:\n        description: number {i}\n"
            ));
        }
        let e = dispatch_inputs(&yaml).unwrap_err();
        assert_eq!(e, WorkflowError::TooManyInputs { count: 26 });
        assert!(e.to_string().contains("25"), "{e}");
        let ok = yaml.replace("      input_25:\n        description: number 25\n", "");
        assert_eq!(dispatch_inputs(&ok).unwrap().len(), 25);
    }

    #[test]
    fn an_unknown_type_names_its_path_and_the_known_ones() {
        let yaml = "on:\n  workflow_dispatch:\n    inputs:\n      level:\n        type: enum\n";
        let e = dispatch_inputs(yaml).unwrap_err();
        assert_eq!(
            e,
            WorkflowError::UnknownType {
                path: "on.workflow_dispatch.inputs.level.type".into(),
                kind: "enum".into()
            }
        );
        assert!(e
            .to_string()
            .contains("string, choice, boolean, number or environment"));
        // GitHub has no `integer` input.
        let e = dispatch_inputs(&yaml.replace("enum", "integer")).unwrap_err();
        assert!(matches!(e, WorkflowError::UnknownType { .. }));
    }

    #[test]
    fn a_choice_needs_options_and_its_default_among_them() {
        let yaml = "on:\n  workflow_dispatch:\n    inputs:\n      level:\n        type: choice\n";
        let e = dispatch_inputs(yaml).unwrap_err();
        assert_eq!(
            e,
            WorkflowError::ChoiceWithoutOptions {
                path: "on.workflow_dispatch.inputs.level".into(),
                input: "level".into()
            }
        );
        assert!(e.to_string().contains("options:"), "{e}");
        let e = dispatch_inputs(&format!("{yaml}        options: []\n")).unwrap_err();
        assert!(matches!(e, WorkflowError::ChoiceWithoutOptions { .. }));
        let e = dispatch_inputs(&format!(
            "{yaml}        options: [info, debug]\n        default: trace\n"
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "on.workflow_dispatch.inputs.level.default: the default `trace` of `level` is not one of its options (info, debug); make it one of them or add it to `options`"
        );
    }

    #[test]
    fn shapes_github_refuses_are_explained() {
        let e = dispatch_inputs("on:\n  workflow_dispatch:\n    inputs: [a, b]\n").unwrap_err();
        assert!(e
            .to_string()
            .starts_with("on.workflow_dispatch.inputs: must be a mapping"));
        let e = dispatch_inputs(
            "on:\n  workflow_dispatch:\n    inputs:\n      a:\n        default: [1]\n",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("on.workflow_dispatch.inputs.a.default:"),
            "{e}"
        );
        let e = dispatch_inputs(
            "on:\n  workflow_dispatch:\n    inputs:\n      a:\n        required: maybe\n",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("on.workflow_dispatch.inputs.a.required:"),
            "{e}"
        );
        // An input with no settings at all is a plain optional string.
        let bare =
            dispatch_inputs("on:\n  workflow_dispatch:\n    inputs:\n      note:\n").unwrap();
        assert_eq!(bare[0].kind, InputKind::String);
        assert!(!bare[0].required);
    }
}
