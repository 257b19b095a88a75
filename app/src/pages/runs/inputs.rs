//! A target's form, field by field: each input's control by its type, its value as the API
//! takes it, and the runbook's command as it would run with the values typed so far.

use crate::api::ApiError;
use crate::strings;
use leptos::prelude::*;
use nagare_core::api::{InputField, InputKind};
use std::collections::BTreeMap;

/// One field of the form with its value (booleans hold `true` / `false`).
#[derive(Clone)]
pub struct FieldValue {
    pub field: InputField,
    pub value: RwSignal<String>,
}

impl FieldValue {
    pub fn new(field: InputField) -> Self {
        let initial = match (&field.default, field.kind) {
            (Some(d), InputKind::Boolean) => bool_text(d).to_owned(),
            (Some(d), _) => d.clone(),
            (None, InputKind::Boolean) => "false".to_owned(),
            // A required choice without a default starts on its first option, as the select shows.
            (None, InputKind::Choice) if field.required => {
                field.options.first().cloned().unwrap_or_default()
            }
            (None, _) => String::new(),
        };
        FieldValue {
            value: RwSignal::new(initial),
            field,
        }
    }
}

fn bool_text(default: &str) -> &'static str {
    if default.trim().eq_ignore_ascii_case("true") {
        "true"
    } else {
        "false"
    }
}

/// The API's name for an input in errors (`inputs.url`).
pub fn error_field(name: &str) -> String {
    format!("inputs.{name}")
}

/// The form's values as the API takes them: booleans and numbers as JSON ones, blank values
/// left out (so that a missing required one is named by the API at its field).
pub fn request_inputs(fields: &[FieldValue]) -> BTreeMap<String, serde_json::Value> {
    let mut out = BTreeMap::new();
    for f in fields {
        let text = f.value.get_untracked();
        let value = match f.field.kind {
            InputKind::Boolean => serde_json::Value::Bool(text == "true"),
            _ if text.trim().is_empty() => continue,
            InputKind::Integer => match text.trim().parse::<i64>() {
                Ok(n) => serde_json::Value::from(n),
                Err(_) => serde_json::Value::String(text),
            },
            InputKind::Number => match text.trim().parse::<f64>() {
                // A whole number goes as one (`3`, not `3.0`).
                Ok(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => serde_json::Value::from(x as i64),
                Ok(x) => serde_json::Number::from_f64(x)
                    .map(serde_json::Value::Number)
                    .unwrap_or(serde_json::Value::String(text)),
                Err(_) => serde_json::Value::String(text),
            },
            _ => serde_json::Value::String(text),
        };
        out.insert(f.field.name.clone(), value);
    }
    out
}

/// A runbook's argv template with the current values in place, as the server makes it: each
/// item one argument, an item naming an input without a value left out.
pub fn preview_command(template: &[String], values: &BTreeMap<String, String>) -> Vec<String> {
    template
        .iter()
        .filter_map(|item| {
            let mut out = String::new();
            let mut rest = item.as_str();
            while let Some(open) = rest.find("{{") {
                out.push_str(&rest[..open]);
                let after = &rest[open + 2..];
                let Some(close) = after.find("}}") else {
                    out.push_str(&rest[open..]);
                    rest = "";
                    break;
                };
                let name = after[..close].trim();
                match values.get(name).filter(|v| !v.is_empty()) {
                    Some(v) => out.push_str(v),
                    None => return None,
                }
                rest = &after[close + 2..];
            }
            out.push_str(rest);
            Some(out)
        })
        .collect()
}

/// An argument as a shell would need it to read as one: quoted when it holds anything but
/// plain characters. For showing only; nothing is ever run through a shell.
pub fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '-' | '_' | '.' | '/' | ':' | '=' | ',' | '@' | '+')
        });
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// A pattern in Rust `regex` syntax as a browser's `pattern` attribute reads it (the `v`
/// flag): inside a character class, the characters that flag reserves are escaped. `None` when
/// the browser would still refuse it; the server checks the value anyway.
pub fn html_pattern(pattern: &str) -> Option<String> {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(c);
            if let Some(n) = chars.next() {
                out.push(n);
            }
            class_start = false;
            continue;
        }
        if !in_class {
            if c == '[' {
                in_class = true;
                class_start = true;
                out.push(c);
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                continue;
            }
            out.push(c);
            continue;
        }
        match c {
            // A `]` first in a class is literal in Rust's syntax, and must be escaped for the browser.
            ']' if class_start => out.push_str("\\]"),
            ']' => {
                in_class = false;
                out.push(c);
            }
            '-' => {
                // A range needs characters on both sides; a dash at either end is literal.
                let at_end = chars.peek() == Some(&']');
                if class_start || at_end {
                    out.push_str("\\-");
                } else {
                    out.push(c);
                }
            }
            '(' | ')' | '{' | '}' | '/' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '[' => return None,
            _ => out.push(c),
        }
        class_start = false;
    }
    if in_class {
        return None;
    }
    pattern_compiles(&out).then_some(out)
}

/// Whether the browser compiles `pattern` as a `pattern` attribute does (`^(?:…)$`, flag `v`).
fn pattern_compiles(pattern: &str) -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsValue;
        let Ok(ctor) = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("RegExp")) else {
            return false;
        };
        let Ok(ctor) = wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(ctor) else {
            return false;
        };
        let args = js_sys::Array::of2(
            &JsValue::from_str(&format!("^(?:{pattern})$")),
            &JsValue::from_str("v"),
        );
        js_sys::Reflect::construct(&ctor, &args).is_ok()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        !pattern.is_empty()
    }
}

/// A help text as a sentence: with its closing full stop.
fn sentence(text: String) -> String {
    let t = text.trim_end();
    if t.ends_with(['.', '!', '?', ':', ')']) {
        t.to_owned()
    } else {
        format!("{t}.")
    }
}

/// A number bound as the attribute writes it.
fn bound(v: Option<f64>) -> Option<String> {
    v.map(|x| x.to_string())
}

/// One input: label with its required mark, the control for its type, its help, and the API's
/// error when it names this field.
#[component]
pub fn InputControl(f: FieldValue, error: RwSignal<Option<ApiError>>) -> impl IntoView {
    let field = f.field.clone();
    let value = f.value;
    let id = format!("input-{}", field.name);
    let help_id = format!("{id}-help");
    let error_id = format!("{id}-error");
    let api_name = error_field(&field.name);
    let my_error = {
        let api_name = api_name.clone();
        Memo::new(move |_| {
            error
                .get()
                .filter(|e| e.field.as_deref() == Some(api_name.as_str()))
                .map(|e| {
                    // Shown at its field, the message needs not name it again.
                    let prefix = format!("{api_name}: ");
                    e.message
                        .strip_prefix(&prefix)
                        .map(str::to_owned)
                        .unwrap_or(e.message)
                })
        })
    };
    let invalid = move || my_error.get().map(|_| "true");
    let described = format!("{help_id} {error_id}");
    let test = id.clone();
    let control = match field.kind {
        InputKind::Boolean => view! {
            <input
                id=id.clone()
                type="checkbox"
                data-test=test
                aria-describedby=described
                aria-invalid=invalid
                prop:checked=move || value.get() == "true"
                on:change=move |ev| value.set(event_target_checked(&ev).to_string())
            />
        }
        .into_any(),
        InputKind::Choice => {
            let options = field.options.clone();
            let blank = (!field.required)
                .then(|| view! { <option value="">{strings::CHOICE_NONE}</option> });
            view! {
                <select
                    id=id.clone()
                    data-test=test
                    required=field.required
                    aria-describedby=described
                    aria-invalid=invalid
                    prop:value=move || value.get()
                    on:change=move |ev| value.set(event_target_value(&ev))
                >
                    {blank}
                    {options
                        .into_iter()
                        .map(|o| {
                            let selected = o == value.get_untracked();
                            view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                        })
                        .collect_view()}
                </select>
            }
            .into_any()
        }
        InputKind::Number | InputKind::Integer => {
            let step = if field.kind == InputKind::Integer {
                "1"
            } else {
                "any"
            };
            view! {
                <input
                    id=id.clone()
                    type="number"
                    data-test=test
                    step=step
                    min=bound(field.min)
                    max=bound(field.max)
                    required=field.required
                    inputmode=if field.kind == InputKind::Integer { "numeric" } else { "decimal" }
                    aria-describedby=described
                    aria-invalid=invalid
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
            }
            .into_any()
        }
        InputKind::String | InputKind::Environment => {
            let pattern = field.pattern.as_deref().and_then(html_pattern);
            view! {
                <input
                    id=id.clone()
                    type="text"
                    data-test=test
                    pattern=pattern
                    maxlength=field.max_length.map(|n| n.to_string())
                    required=field.required
                    autocomplete="off"
                    spellcheck="false"
                    aria-describedby=described
                    aria-invalid=invalid
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
            }
            .into_any()
        }
    };
    let mut help: Vec<String> = Vec::new();
    if let Some(d) = field.description.clone().filter(|d| !d.trim().is_empty()) {
        help.push(d);
    }
    if matches!(field.kind, InputKind::Number | InputKind::Integer) {
        help.extend(strings::range_hint(field.min, field.max));
    }
    if let Some(n) = field.max_length {
        help.push(strings::max_length_hint(n));
    }
    let required = field.required && field.kind != InputKind::Boolean;
    let label = view! {
        <span class="filter-label">
            <span class="mono">{field.name.clone()}</span>
            {required.then(|| view! {
                <span class="required" title=strings::FORM_REQUIRED>
                    " *"<span class="visually-hidden">{strings::FORM_REQUIRED}</span>
                </span>
            })}
            <span class="muted">" · "{strings::input_kind_label(field.kind)}</span>
        </span>
    };
    let boolean = field.kind == InputKind::Boolean;
    let help: Vec<String> = help.into_iter().map(sentence).collect();
    view! {
        <div class="field input-field" class:field-check=boolean data-test="input-field" data-input=field.name.clone()>
            {if boolean {
                view! { <label class="check" for=id.clone()>{control}{label}</label> }.into_any()
            } else {
                view! { <label for=id.clone()>{label}</label>{control} }.into_any()
            }}
            <span class="muted small" id=help_id>{help.join(" ")}</span>
            <span class="form-error field-error" id=error_id data-test=format!("field-error-{}", field.name) role="alert">
                {move || my_error.get()}
            </span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_read_in_the_v_flag() {
        let demo = r"https?://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?";
        assert_eq!(
            html_pattern(demo).as_deref(),
            Some(r"https?://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?(/[A-Za-z0-9._~\/\-]*)?")
        );
        assert_eq!(html_pattern("[-a-z]+").as_deref(), Some(r"[\-a-z]+"));
        assert_eq!(html_pattern("[^]a]").as_deref(), Some(r"[^\]a]"));
        assert_eq!(html_pattern("[a-z"), None);
    }

    #[test]
    fn the_command_preview_follows_the_server() {
        let t: Vec<String> = ["du", "--max-depth={{depth}}", "{{path}}", "x{{ depth }}y"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let mut v = BTreeMap::new();
        v.insert("depth".to_owned(), "2".to_owned());
        assert_eq!(preview_command(&t, &v), ["du", "--max-depth=2", "x2y"]);
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("--rate"), "--rate");
    }
}
