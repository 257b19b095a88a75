//! `GET /api/docs`: the generated OpenAPI document as one page for people, rendered on the
//! server from the document itself (no script, nothing fetched from elsewhere): every
//! operation with its parameters, body and answers, then every schema with its fields.

use nagare_core::text::html_escape as esc;
use serde_json::{Map, Value};
use std::fmt::Write;
use utoipa::openapi::OpenApi;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The page for `doc`.
pub fn render(doc: &OpenApi) -> String {
    let v = serde_json::to_value(doc).unwrap_or(Value::Null);
    let empty = Map::new();
    let paths = v["paths"].as_object().unwrap_or(&empty);
    let schemas = v["components"]["schemas"].as_object().unwrap_or(&empty);
    let title = text(&v["info"]["title"]);

    let mut ops: Vec<(String, &str, &str, &Value)> = Vec::new();
    for (path, item) in paths {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                let tag = op["tags"][0].as_str().unwrap_or("other").to_owned();
                ops.push((tag, m, path.as_str(), op));
            }
        }
    }
    ops.sort_by(|a, b| (&a.0, a.2, a.1).cmp(&(&b.0, b.2, b.1)));

    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} reference</title><style>{STYLE}</style></head><body>\
         <header><a class=\"home\" href=\"/\">← Nagare</a><h1>{t} reference</h1>\
         <p>{d}</p><p class=\"muted\">Version {ver} · OpenAPI {oa} · \
         <a href=\"/api/v1/openapi.json\">openapi.json</a> for tools</p></header><main>",
        t = esc(&title),
        d = inline_code(&text(&v["info"]["description"])),
        ver = esc(&text(&v["info"]["version"])),
        oa = esc(&text(&v["openapi"])),
    );

    out.push_str("<nav aria-label=\"Operations\"><h2>Operations</h2>");
    let mut tag = "";
    for (t, m, path, op) in &ops {
        if t != tag {
            if !tag.is_empty() {
                out.push_str("</ul>");
            }
            let _ = write!(out, "<h3>{}</h3><ul>", esc(t));
            tag = t;
        }
        let _ = write!(
            out,
            "<li><a href=\"#{id}\"><span class=\"method {m}\">{mu}</span> <code>{p}</code></a> {s}</li>",
            id = op_id(m, path),
            mu = m.to_uppercase(),
            p = esc(path),
            s = esc(&text(&op["summary"])),
        );
    }
    if !tag.is_empty() {
        out.push_str("</ul>");
    }
    out.push_str("<h2>Schemas</h2><ul class=\"schemas\">");
    for name in schemas.keys() {
        let _ = write!(
            out,
            "<li><a href=\"#schema-{n}\">{n}</a></li>",
            n = esc(name)
        );
    }
    out.push_str("</ul></nav><div class=\"content\">");

    for (_, m, path, op) in &ops {
        operation(&mut out, m, path, op);
    }
    out.push_str("<h2 id=\"schemas\">Schemas</h2>");
    for (name, schema) in schemas {
        let _ = write!(
            out,
            "<section class=\"schema\" id=\"schema-{n}\"><h3>{n}</h3>",
            n = esc(name)
        );
        describe(&mut out, schema);
        out.push_str("</section>");
    }
    out.push_str("</div></main></body></html>");
    out
}

fn operation(out: &mut String, m: &str, path: &str, op: &Value) {
    let _ = write!(
        out,
        "<section class=\"op\" id=\"{id}\"><h2><span class=\"method {m}\">{mu}</span> <code>{p}</code></h2>\
         <p class=\"summary\">{s}</p>",
        id = op_id(m, path),
        mu = m.to_uppercase(),
        p = esc(path),
        s = esc(&text(&op["summary"])),
    );
    if let Some(d) = op["description"].as_str() {
        let _ = write!(out, "<p>{}</p>", inline_code(d));
    }
    let public = op["security"]
        .as_array()
        .is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(Map::is_empty)));
    out.push_str(if public {
        "<p class=\"auth\">No session or token: open to anyone who reaches the server.</p>"
    } else {
        "<p class=\"auth\">Needs a session (signed in) or an API token (<code>Authorization: Bearer ngr_…</code>).</p>"
    });

    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        out.push_str(
            "<h4>Parameters</h4><table><thead><tr><th>name</th><th>in</th><th>type</th>\
             <th>description</th></tr></thead><tbody>",
        );
        for p in params {
            let required = p["required"].as_bool().unwrap_or(false);
            let _ = write!(
                out,
                "<tr><td><code>{n}</code>{r}</td><td>{i}</td><td>{t}</td><td>{d}</td></tr>",
                n = esc(&text(&p["name"])),
                r = if required {
                    " <span class=\"req\">required</span>"
                } else {
                    ""
                },
                i = esc(&text(&p["in"])),
                t = type_of(&p["schema"]),
                d = inline_code(&text(&p["description"])),
            );
        }
        out.push_str("</tbody></table>");
    }
    if let Some(content) = op["requestBody"]["content"].as_object() {
        out.push_str("<h4>Body</h4>");
        if let Some(d) = op["requestBody"]["description"].as_str() {
            let _ = write!(out, "<p>{}</p>", inline_code(d));
        }
        out.push_str("<ul>");
        for (kind, c) in content {
            let _ = write!(
                out,
                "<li><code>{}</code>: {}</li>",
                esc(kind),
                type_of(&c["schema"])
            );
        }
        out.push_str("</ul>");
    }
    if let Some(responses) = op["responses"].as_object() {
        out.push_str(
            "<h4>Answers</h4><table><thead><tr><th>status</th><th>meaning</th><th>body</th></tr>\
             </thead><tbody>",
        );
        let mut rows: Vec<(&String, &Value)> = responses.iter().collect();
        rows.sort_by(|a, b| a.0.cmp(b.0));
        for (status, r) in rows {
            let body = r["content"]
                .as_object()
                .map(|c| {
                    c.iter()
                        .map(|(kind, c)| match c.get("schema") {
                            Some(s) => type_of(s),
                            None => format!("<code>{}</code>", esc(kind)),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            let _ = write!(
                out,
                "<tr><td class=\"status s{c}\">{s}</td><td>{d}</td><td>{body}</td></tr>",
                c = status.chars().next().unwrap_or('0'),
                s = esc(status),
                d = inline_code(&text(&r["description"])),
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
}

/// A schema's description and, for an object, its fields.
fn describe(out: &mut String, schema: &Value) {
    if let Some(d) = schema["description"].as_str() {
        let _ = write!(out, "<p>{}</p>", inline_code(d));
    }
    if let Some(parts) = schema["allOf"].as_array() {
        out.push_str("<p>All the fields of:</p><ul>");
        for p in parts {
            out.push_str("<li>");
            if p.get("$ref").is_some() {
                out.push_str(&type_of(p));
            } else {
                describe(out, p);
            }
            out.push_str("</li>");
        }
        out.push_str("</ul>");
        return;
    }
    if let Some(variants) = schema["oneOf"].as_array() {
        out.push_str("<p>One of:</p><ul>");
        for p in variants {
            out.push_str("<li>");
            describe(out, p);
            out.push_str("</li>");
        }
        out.push_str("</ul>");
        return;
    }
    let Some(props) = schema["properties"].as_object() else {
        let _ = write!(out, "<p>{}</p>", type_of(schema));
        return;
    };
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    out.push_str(
        "<table><thead><tr><th>field</th><th>type</th><th>description</th></tr></thead><tbody>",
    );
    for (name, p) in props {
        let _ = write!(
            out,
            "<tr><td><code>{n}</code>{r}</td><td>{t}</td><td>{d}</td></tr>",
            n = esc(name),
            r = if required.contains(&name.as_str()) {
                " <span class=\"req\">always</span>"
            } else {
                ""
            },
            t = type_of(p),
            d = inline_code(&text(&p["description"])),
        );
    }
    out.push_str("</tbody></table>");
}

/// A schema in a few words: `string (date-time)`, `[DeploymentRow]`, `one of a, b`, `… or null`.
fn type_of(s: &Value) -> String {
    if let Some(r) = s["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{n}\">{n}</a>", n = esc(name));
    }
    if let Some(values) = s["enum"].as_array() {
        let words: Vec<String> = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| format!("<code>{}</code>", esc(&text(v))))
            .collect();
        return format!("one of {}", words.join(", "));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(parts) = s[key].as_array() {
            let mut words: Vec<String> = parts
                .iter()
                .filter(|p| p["type"] != "null")
                .map(type_of)
                .collect();
            if parts.iter().any(|p| p["type"] == "null") {
                words.push("null".to_owned());
            }
            return words.join(" or ");
        }
    }
    if let Some(parts) = s["allOf"].as_array() {
        return parts.iter().map(type_of).collect::<Vec<_>>().join(" and ");
    }
    let mut types: Vec<String> = match &s["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts.iter().map(text).collect(),
        _ => Vec::new(),
    };
    let nullable = types.iter().any(|t| t == "null");
    types.retain(|t| t != "null");
    let mut word = match types.first().map(String::as_str) {
        Some("array") => format!("[{}]", type_of(&s["items"])),
        Some(t) => {
            let mut w = esc(t);
            if let Some(f) = s["format"].as_str() {
                let _ = write!(w, " ({})", esc(f));
            }
            if let (Some(lo), Some(hi)) = (s["minimum"].as_i64(), s["maximum"].as_i64()) {
                let _ = write!(w, ", {lo}–{hi}");
            }
            w
        }
        None => "any".to_owned(),
    };
    if nullable {
        word.push_str(" or null");
    }
    word
}

fn op_id(method: &str, path: &str) -> String {
    let slug: String = path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("op-{method}{slug}")
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Escaped text with `backticked` spans as code.
fn inline_code(s: &str) -> String {
    esc(s)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_owned()
            }
        })
        .collect()
}

const STYLE: &str = "
:root{color-scheme:light dark;--fg:#1d2330;--muted:#5b6475;--bg:#fff;--panel:#f5f7fa;--line:#dde2ea;--accent:#2458c6}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ef;--muted:#9aa3b5;--bg:#12151c;--panel:#1a1f29;--line:#2c3340;--accent:#7aa7ff}}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:var(--fg);background:var(--bg)}
header{padding:24px 32px;border-bottom:1px solid var(--line);background:var(--panel)}header h1{margin:8px 0}
a{color:var(--accent)}.home{text-decoration:none;font-weight:600}.muted{color:var(--muted)}
main{display:grid;grid-template-columns:320px 1fr;gap:32px;padding:24px 32px}
nav{position:sticky;top:16px;align-self:start;max-height:calc(100vh - 32px);overflow:auto;font-size:14px}
nav ul{list-style:none;padding:0;margin:0 0 12px}nav li{margin:4px 0}nav a{text-decoration:none}nav h3{margin:12px 0 4px;font-size:13px;text-transform:uppercase;color:var(--muted)}
.schemas{columns:2}
.content{min-width:0}section{border-bottom:1px solid var(--line);padding:8px 0 20px}
section h2{font-size:19px}section h3{font-size:17px}.summary{font-weight:600}
.method{display:inline-block;min-width:58px;text-align:center;border-radius:4px;padding:1px 6px;font:600 12px/1.6 ui-monospace,monospace;color:#fff;background:#5b6475}
.method.get{background:#2458c6}.method.post{background:#1f7a4d}.method.delete{background:#b3261e}.method.put,.method.patch{background:#8a5a00}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--panel);padding:1px 4px;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:14px}th,td{border:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}th{background:var(--panel)}
.req{font-size:11px;color:var(--muted)}.auth{color:var(--muted)}
.status{font-family:ui-monospace,monospace;font-weight:600}.s2{color:#1f7a4d}.s3{color:#2458c6}.s4{color:#b3261e}.s5{color:#8a5a00}
@media (max-width:900px){main{grid-template-columns:1fr}nav{position:static;max-height:none}}
";
